using Library.Lending.Infrastructure.Persistence;
using Library.SharedKernel.Contracts.Patron;
using Library.SharedKernel.Messaging;

namespace Library.Lending.Application.Events;

/// <summary>Keeps the borrower projection current from Patron's events (newest version wins).</summary>
public sealed class PatronEventsHandler(LendingDbContext db) :
    IIntegrationEventHandler<PatronRegistered>,
    IIntegrationEventHandler<PatronSuspended>,
    IIntegrationEventHandler<PatronReinstated>,
    IIntegrationEventHandler<PatronTierUpgraded>
{
    public Task HandleAsync(PatronRegistered e, IntegrationEventEnvelope envelope, CancellationToken cancellationToken)
        => Borrowers.UpsertAsync(db, e.PatronId, e.Email, e.MembershipTier, e.Suspended, e.Version, cancellationToken);

    public Task HandleAsync(PatronSuspended e, IntegrationEventEnvelope envelope, CancellationToken cancellationToken)
        => Borrowers.UpsertAsync(db, e.PatronId, e.Email, e.MembershipTier, suspended: true, e.Version, cancellationToken);

    public Task HandleAsync(PatronReinstated e, IntegrationEventEnvelope envelope, CancellationToken cancellationToken)
        => Borrowers.UpsertAsync(db, e.PatronId, e.Email, e.MembershipTier, suspended: false, e.Version, cancellationToken);

    public Task HandleAsync(PatronTierUpgraded e, IntegrationEventEnvelope envelope, CancellationToken cancellationToken)
        => Borrowers.UpsertAsync(db, e.PatronId, e.Email, e.MembershipTier, e.Suspended, e.Version, cancellationToken);
}
