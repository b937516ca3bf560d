using Library.SharedKernel.Domain;
using Library.SharedKernel.Idempotency;
using Library.SharedKernel.Messaging;
using Microsoft.EntityFrameworkCore;

namespace Library.SharedKernel.Persistence;

/// <summary>
/// A context's unit of work. On save, the domain events raised by its aggregates become outbox rows in the
/// same transaction, and the outbox's insert trigger NOTIFYs the outbox channel in that transaction, so the relay
/// publishes within milliseconds of the commit (SPEC §6); nothing is ever published outside this path.
/// </summary>
public abstract class LibraryDbContext(DbContextOptions options) : DbContext(options)
{
    /// <summary>The context's schema; also names its outbox notification channel.</summary>
    public abstract string Schema { get; }

    public string OutboxChannel => "outbox_" + Schema;

    /// <summary>
    /// Set by the idempotency middleware for a request with an Idempotency-Key: the first save claims the key
    /// (inserts the receipt first in the transaction that carries the change); the middleware commits.
    /// </summary>
    public PendingReceipt? PendingReceipt { get; set; }

    /// <summary>
    /// Queues an integration event that no aggregate raised (a decision not to change anything, such as a
    /// rejected loan) for publication with this unit of work.
    /// </summary>
    public void Publish(IIntegrationEvent integrationEvent, string aggregateKey, DateTimeOffset occurredAt)
        => Set<OutboxMessage>().Add(OutboxMessage.Create(integrationEvent, aggregateKey, occurredAt));

    /// <summary>The integration event a domain event publishes, if any. Mapping is explicit and per context.</summary>
    protected virtual IIntegrationEvent? ToIntegrationEvent(IDomainEvent domainEvent) => null;

    /// <summary>Anything else a domain event writes in the same transaction (e.g. a mail it owes); nothing by default.</summary>
    protected virtual void OnDomainEvent(IHasDomainEvents aggregate, IDomainEvent domainEvent)
    {
    }

    public override async Task<int> SaveChangesAsync(CancellationToken cancellationToken = default)
    {
        // No automatic savepoint around SaveChanges in a transaction we or a caller own: two round trips (SAVEPOINT,
        // RELEASE) per save, 8 % of Catalog's sampled managed time under the saga (docs/benchmarks.md). A failed
        // save leaves the transaction aborted; the callers that go on after one roll back to a savepoint of their
        // own (the idempotency claim's) or end the transaction. Set on every save: a pooled
        // context's DatabaseFacade is reset to EF's default when it is returned to the pool.
        Database.AutoSavepointsEnabled = false;
        if (PendingReceipt is { Claimed: false } receipt)
        {
            await receipt.ClaimAsync(this, cancellationToken);
        }
        var aggregates = ChangeTracker.Entries<IHasDomainEvents>().Select(e => e.Entity).Where(a => a.DomainEvents.Count > 0).ToList();
        foreach (var aggregate in aggregates)
        {
            foreach (var domainEvent in aggregate.DomainEvents)
            {
                OnDomainEvent(aggregate, domainEvent);
                if (ToIntegrationEvent(domainEvent) is { } integrationEvent)
                {
                    Set<OutboxMessage>().Add(OutboxMessage.Create(integrationEvent, aggregate.AggregateKey, domainEvent.OccurredAt));
                }
            }
        }

        // One SaveChanges is one transaction (EF's own, or the caller's): the outbox rows commit with the change,
        // and the outbox's insert trigger notifies the relay's channel in that transaction (OutboxNotifyTrigger).
        var written = await base.SaveChangesAsync(cancellationToken);
        foreach (var aggregate in aggregates)
        {
            aggregate.ClearDomainEvents();
        }

        return written;
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.AddIdempotencyReceipts();
        modelBuilder.AddOutboxAndInbox();
    }
}
