namespace Library.SharedKernel.Domain;

/// <summary>
/// The consistency boundary of a use case. Raised domain events are kept until the unit of work
/// dispatches them inside the same transaction as the state change.
/// </summary>
public abstract class AggregateRoot<TId> : Entity<TId>, IHasDomainEvents
    where TId : struct, IEquatable<TId>
{
    private readonly List<IDomainEvent> _domainEvents = [];

    /// <summary>Optimistic-concurrency version, incremented once per committed change.</summary>
    public int Version { get; protected set; }

    public IReadOnlyList<IDomainEvent> DomainEvents => _domainEvents;

    /// <summary>The key that orders this aggregate's integration events in the outbox.</summary>
    public string AggregateKey => Id.ToString()!;

    protected void Raise(IDomainEvent domainEvent) => _domainEvents.Add(domainEvent);

    public void ClearDomainEvents() => _domainEvents.Clear();
}

public interface IHasDomainEvents
{
    IReadOnlyList<IDomainEvent> DomainEvents { get; }

    string AggregateKey { get; }

    void ClearDomainEvents();
}
