using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Library.Lending.Domain.Loans;
using Library.Lending.Infrastructure.Persistence;
using Library.SharedKernel.Contracts;
using Library.SharedKernel.Contracts.Catalog;
using Library.SharedKernel.Messaging;
using Library.SharedKernel.Resources;
using Library.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RabbitMQ.Client;

namespace Library.Lending.Tests.Integration;

/// <summary>
/// Issue 11 item 2: a failed message is retried in its lane before the messages behind it, a transient failure is
/// never dead-lettered in a burst, and a message that fails for good goes to the dead-letter queue (visible in
/// health, replayable) while the aggregate's later messages proceed. Lending runs in-process on the real broker
/// and PostgreSQL; faults are injected where they happen, at the inbox insert.
/// </summary>
[Collection(LendingConsumers.Name)]
public sealed class InboxRetryTests(LendingServers servers)
{
    [Fact]
    public async Task ATransientFailure_IsRetriedBeforeTheAggregatesNextMessage_SoAReleaseNeverOvertakesItsReservation()
    {
        var faults = new InboxFaults();
        await using var factory = await StartAsync(faults);
        var reserved = Reserved(out var operationId, out var bookId);
        var released = Message(new BookReservationReleased(operationId, bookId, "expired", DateTimeOffset.UtcNow), bookId);

        // Deadlocks on the reservation's inbox insert: more than the broker's delivery limit (5) would allow.
        faults.Fail(reserved.Id, times: 7, sqlState: PostgresErrorCodes.DeadlockDetected);
        var deadBefore = await DeadLetterCountAsync();
        await PublishAsync(reserved, released);

        await Poll.UntilAsync(async () => await InboxHasAsync(factory, released.Message.Id), TimeSpan.FromSeconds(30), "both messages handled");
        (await LoanAsync(factory, operationId))!.Status.ShouldBe(LoanStatus.Cancelled, "the release was applied after the reservation it releases");
        faults.Failed(reserved.Id).ShouldBe(7);
        (await DeadLetterCountAsync()).ShouldBe(deadBefore, "a transient failure is retried, not dead-lettered");
    }

    [Fact]
    public async Task AMessageThatKeepsFailing_IsDeadLettered_TheAggregatesNextMessageProceeds_AndAReplayAppliesItOnceFixed()
    {
        var faults = new InboxFaults();
        await using var factory = await StartAsync(faults);
        var first = Reserved(out var firstOperation, out var bookId);
        var second = Message(new BookReservationReleased(Guid.CreateVersion7(), bookId, "expired", DateTimeOffset.UtcNow), bookId);

        // A bug, not a moment: fails on every attempt until it is "fixed".
        faults.Fail(first.Id, times: int.MaxValue, sqlState: null);
        var deadBefore = await DeadLetterCountAsync();
        await PublishAsync(first, second);

        await Poll.UntilAsync(async () => await InboxHasAsync(factory, second.Message.Id), TimeSpan.FromSeconds(30), "the aggregate's next message to proceed once the first is dead-lettered");
        await Poll.UntilAsync(async () => await DeadLetterCountAsync() > deadBefore, TimeSpan.FromSeconds(10), "the failing message in the dead-letter queue");
        faults.Failed(first.Id).ShouldBe(5, "Messaging:HandlerAttempts");
        (await LoanAsync(factory, firstOperation)).ShouldBeNull();

        var admin = factory.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", TestTokens.Mint(Library.SharedKernel.Security.LibraryRoles.Admin));
        using (var health = await factory.CreateClient().GetAsync("/health"))
        {
            var report = await health.Content.ReadFromJsonAsync<JsonObject>();
            report!["checks"]!["dead-letters"]!.GetValue<string>().ShouldBe("Degraded");
        }

        (await (await admin.GetAsync("/admin/lending/dead-letters")).Content.ReadFromJsonAsync<JsonObject>())!["waiting"]!.GetValue<long>().ShouldBeGreaterThan(0);
        using (var anonymous = await factory.CreateClient().PostAsync("/admin/lending/dead-letters/replay", null))
        {
            anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        faults.Fix(first.Id);
        using (var replay = await admin.PostAsync("/admin/lending/dead-letters/replay", null))
        {
            replay.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await replay.Content.ReadFromJsonAsync<JsonObject>())!["replayed"]!.GetValue<int>().ShouldBeGreaterThan(0);
        }

        await Poll.UntilAsync(async () => await LoanAsync(factory, firstOperation) is not null, TimeSpan.FromSeconds(30), "the replayed message to be handled");
        faults.Failed(first.Id).ShouldBe(5, "handled at the first attempt after the replay");
        await Poll.UntilAsync(async () => await DeadLetterCountAsync() == 0, TimeSpan.FromSeconds(10), "the dead-letter queue to be empty after the replay");
    }

    /// <summary>
    /// A reservation of a book that already has an outstanding loan is rejected, and the rejection published, in
    /// the consumer's transaction: the decision's read sees the loan (and, were the loan committed between that
    /// read and the insert, the unique index would refuse the insert and the retry would see it), never retried
    /// until dead-lettered.
    /// </summary>
    [Fact]
    public async Task AReservationOfABookAlreadyOnLoan_IsRejectedInTheSameTransaction_NotRetriedUntilDeadLettered()
    {
        await using var factory = await StartAsync(new InboxFaults());
        var first = Reserved(out var firstOperation, out var bookId);
        var secondOperation = Guid.CreateVersion7();
        var second = Message(new BookReserved(secondOperation, bookId, "First", Patron(), DateTimeOffset.UtcNow), bookId);
        var deadBefore = await DeadLetterCountAsync();

        await PublishAsync(first, second);

        await Poll.UntilAsync(async () => await InboxHasAsync(factory, second.Message.Id), TimeSpan.FromSeconds(30), "both reservations handled");
        (await LoanAsync(factory, firstOperation))!.Status.ShouldBe(LoanStatus.Active);
        (await LoanAsync(factory, secondOperation)).ShouldBeNull("the book is on loan already");
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LendingDbContext>();
            var rejections = await db.Database.SqlQuery<int>(
                $"SELECT 1 AS \"Value\" FROM lending.outbox_messages WHERE aggregate_key = {secondOperation.ToString()} AND envelope::text LIKE '%book.unavailable%'").CountAsync();
            rejections.ShouldBe(1, "the rejection is published, once");
        }

        (await DeadLetterCountAsync()).ShouldBe(deadBefore);
    }

    /// <summary>
    /// Starts Lending in-process and waits until its consumer consumes: the queue and its bindings are declared by
    /// the consumer's background start, and a message published before they exist is routed nowhere (lost).
    /// </summary>
    private async Task<LendingApiFactory> StartAsync(InboxFaults faults)
    {
        var factory = Create(faults);
        await Poll.UntilAsync(async () => (await QueueAsync("lending"))?.ConsumerCount > 0, TimeSpan.FromSeconds(30), "Lending's consumer on its queue");
        return factory;
    }

    /// <summary>The queue as the broker reports it (message and consumer counts), or null while it is not declared.</summary>
    private async Task<QueueDeclareOk?> QueueAsync(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(servers.ConnectionStrings[ResourceNames.EventBus]) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return await channel.QueueDeclarePassiveAsync(queue);
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return null;
        }
    }

    private LendingApiFactory Create(InboxFaults faults)
    {
        var factory = new LendingApiFactory(servers)
        {
            SystemClock = true,
            Settings = new Dictionary<string, string> { ["Messaging:RetryBaseDelay"] = "00:00:00.050" },
            ConfigureTestServices = services =>
            {
                services.ConfigureDbContext<LendingDbContext>(o => o.AddInterceptors(faults));
                services.AddSingleton<Library.SharedKernel.Security.ISigningKeyStore, TestTokens.Store>();
            },
        };
        _ = factory.Services; // host started: consumer running
        return factory;
    }

    private static (OutboxMessage Message, IIntegrationEvent Event) Message(IIntegrationEvent e, Guid aggregate)
        => (OutboxMessage.Create(e, aggregate.ToString(), DateTimeOffset.UtcNow), e);

    private static OutboxMessage Reserved(out Guid operationId, out Guid bookId)
    {
        operationId = Guid.CreateVersion7();
        bookId = Guid.CreateVersion7();
        return Message(new BookReserved(operationId, bookId, "First", Patron(), DateTimeOffset.UtcNow), bookId).Message;
    }

    private static PatronSnapshot Patron() => new(Guid.CreateVersion7(), "reader@example.org", "regular", false, 1);

    private static async Task<bool> InboxHasAsync(LendingApiFactory factory, Guid messageId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LendingDbContext>();
        return await db.Database.SqlQuery<int>($"SELECT 1 AS \"Value\" FROM lending.inbox_messages WHERE message_id = {messageId}").AnyAsync();
    }

    private static async Task<Loan?> LoanAsync(LendingApiFactory factory, Guid operationId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<LendingDbContext>().Loans.AsNoTracking().SingleOrDefaultAsync(l => l.OperationId == operationId);
    }

    private Task PublishAsync(OutboxMessage first, (OutboxMessage Message, IIntegrationEvent Event) second)
        => PublishAsync([first, second.Message]);

    /// <summary>As the relay publishes: to the topic exchange, type as routing key, the aggregate key as a header, one after the other.</summary>
    private async Task PublishAsync(OutboxMessage[] messages)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(servers.ConnectionStrings[ResourceNames.EventBus]) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        foreach (var message in messages)
        {
            var properties = new BasicProperties
            {
                MessageId = message.Id.ToString(),
                Type = message.Type,
                Persistent = true,
                Headers = new Dictionary<string, object?> { [RabbitMQTopology.AggregateKeyHeader] = Encoding.UTF8.GetBytes(message.AggregateKey) },
            };
            await channel.BasicPublishAsync(RabbitMQTopology.Exchange, message.Type, mandatory: false, properties, Encoding.UTF8.GetBytes(message.Envelope));
        }
    }

    private async Task<uint> DeadLetterCountAsync()
        => (await QueueAsync("lending.dead-letter") ?? throw new InvalidOperationException("lending.dead-letter is not declared")).MessageCount;

    /// <summary>Fails the inbox insert of chosen messages: with a transient PostgreSQL error, or a plain bug.</summary>
    private sealed class InboxFaults : DbCommandInterceptor
    {
        private readonly Dictionary<Guid, (int Remaining, string? SqlState, int Failed)> _faults = [];

        public void Fail(Guid messageId, int times, string? sqlState)
        {
            lock (_faults)
            {
                _faults[messageId] = (times, sqlState, 0);
            }
        }

        public void Fix(Guid messageId)
        {
            lock (_faults)
            {
                _faults[messageId] = _faults[messageId] with { Remaining = 0 };
            }
        }

        public int Failed(Guid messageId)
        {
            lock (_faults)
            {
                return _faults[messageId].Failed;
            }
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.Contains("inbox_messages", StringComparison.Ordinal))
            {
                foreach (DbParameter parameter in command.Parameters)
                {
                    if (parameter.Value is Guid id)
                    {
                        lock (_faults)
                        {
                            if (_faults.TryGetValue(id, out var fault) && fault.Remaining > 0)
                            {
                                _faults[id] = (fault.Remaining - 1, fault.SqlState, fault.Failed + 1);
                                throw fault.SqlState is { } state
                                    ? new PostgresException("injected by the test", "ERROR", "ERROR", state)
                                    : new InvalidOperationException("A handler bug (injected by the test).");
                            }
                        }
                    }
                }
            }

            return base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}

/// <summary>Tests that run Lending's consumer share its one queue: they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class LendingConsumers
{
    public const string Name = "lending consumers";
}
