using System.Diagnostics;
using System.Text.Json;
using Library.SharedKernel.Contracts;
using Library.SharedKernel.Domain;
using Microsoft.EntityFrameworkCore;

namespace Library.SharedKernel.Messaging;

/// <summary>
/// An integration event waiting to be published, written in the same transaction as the state change that
/// caused it (SPEC §6). The relay publishes each aggregate's messages in id order and stamps <see cref="PublishedAt"/>.
/// </summary>
public sealed class OutboxMessage
{
    private static readonly JsonSerializerOptions s_json = CreateJsonOptions();

    private OutboxMessage()
    {
        AggregateKey = null!;
        Type = null!;
        Envelope = null!;
    }

    public Guid Id { get; private set; }

    public string AggregateKey { get; private set; }

    public string Type { get; private set; }

    /// <summary>The serialized <see cref="IntegrationEventEnvelope"/>, exactly as it goes on the wire.</summary>
    public string Envelope { get; private set; }

    public DateTimeOffset OccurredAt { get; private set; }

    /// <summary>W3C traceparent of the request that caused the event, so the consumer's span joins its trace.</summary>
    public string? TraceParent { get; private set; }

    public DateTimeOffset? PublishedAt { get; private set; }

    public int Attempts { get; private set; }

    public string? LastError { get; private set; }

    /// <summary>Not before this time is the message tried again (set after a failed publish, growing with <see cref="Attempts"/>).</summary>
    public DateTimeOffset? NextAttemptAt { get; private set; }

    /// <summary>
    /// Set when the relay gave up on the message after <c>Outbox:MaxAttempts</c> failed publishes: it is no longer
    /// tried, and its aggregate's later messages proceed. Clearing it (with <see cref="NextAttemptAt"/>) tries it again.
    /// </summary>
    public DateTimeOffset? ParkedAt { get; private set; }

    public static JsonSerializerOptions JsonOptions => s_json;

    public static OutboxMessage Create(IIntegrationEvent integrationEvent, string aggregateKey, DateTimeOffset occurredAt)
    {
        ArgumentNullException.ThrowIfNull(integrationEvent);
        var id = Guid.CreateVersion7();
        var type = IntegrationEventTypes.Registry.NameOf(integrationEvent.GetType());
        var context = MessageContext.Current;
        var envelope = new IntegrationEventEnvelope(
            id,
            type,
            Clock.TruncateToMicroseconds(occurredAt),
            context?.CorrelationId ?? id,
            context?.CausationId,
            JsonSerializer.SerializeToElement(integrationEvent, integrationEvent.GetType(), s_json));
        return new OutboxMessage
        {
            Id = id,
            AggregateKey = aggregateKey,
            Type = type,
            Envelope = JsonSerializer.Serialize(envelope, s_json),
            OccurredAt = envelope.OccurredAt,
            TraceParent = Activity.Current?.Id,
        };
    }

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Json.LibraryJson.Configure(options);
        return options;
    }
}

/// <summary>A message a consumer has handled; its key makes a redelivery a no-op (SPEC §6 Inbox).</summary>
public sealed class InboxMessage
{
    public required string Consumer { get; init; }

    public required Guid MessageId { get; init; }

    public required string Type { get; init; }

    public DateTimeOffset HandledAt { get; init; }
}

public static class MessagingModelBuilderExtensions
{
    public static ModelBuilder AddOutboxAndInbox(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<OutboxMessage>(outbox =>
        {
            outbox.ToTable("outbox_messages");
            outbox.HasKey(m => m.Id);
            outbox.Property(m => m.AggregateKey).HasMaxLength(100);
            outbox.Property(m => m.Type).HasMaxLength(100);
            outbox.Property(m => m.Envelope).HasColumnType("jsonb");
            outbox.Property(m => m.TraceParent).HasMaxLength(100);
            outbox.Property(m => m.LastError).HasMaxLength(2000);

            // The relay's query touches only unpublished rows; parked ones are found through their own index.
            outbox.HasIndex(m => m.ParkedAt).HasFilter("parked_at IS NOT NULL").HasDatabaseName("ix_outbox_messages_parked");
            outbox.HasIndex(m => new { m.AggregateKey, m.Id }).HasFilter("published_at IS NULL");
            outbox.HasIndex(m => m.Id).HasFilter("published_at IS NULL").HasDatabaseName("ix_outbox_messages_unpublished");
        });
        modelBuilder.Entity<InboxMessage>(inbox =>
        {
            inbox.ToTable("inbox_messages");
            inbox.HasKey(m => new { m.Consumer, m.MessageId });
            inbox.Property(m => m.Consumer).HasMaxLength(100);
            inbox.Property(m => m.Type).HasMaxLength(100);
        });
        return modelBuilder;
    }
}
