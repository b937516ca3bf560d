using Library.Catalog.Infrastructure.Patrons;
using Library.SharedKernel.Caching;
using Library.SharedKernel.Contracts.Patron;
using Library.SharedKernel.Messaging;

namespace Library.Catalog.Application.Borrowing;

/// <summary>
/// Patron's events make Catalog's cached eligibility answer for that patron stale (decision 0018): the next borrow
/// asks Patron again. The consumer moves the generation after its commit. <c>PatronRegistered</c> is not among them:
/// nothing is remembered about a patron before they exist ("unknown" never is).
/// </summary>
public sealed class PatronEventsHandler(CacheInvalidations invalidations) :
    IIntegrationEventHandler<PatronSuspended>,
    IIntegrationEventHandler<PatronReinstated>,
    IIntegrationEventHandler<PatronTierUpgraded>
{
    public Task HandleAsync(PatronSuspended e, IntegrationEventEnvelope envelope, CancellationToken cancellationToken) => Changed(e.PatronId);

    public Task HandleAsync(PatronReinstated e, IntegrationEventEnvelope envelope, CancellationToken cancellationToken) => Changed(e.PatronId);

    public Task HandleAsync(PatronTierUpgraded e, IntegrationEventEnvelope envelope, CancellationToken cancellationToken) => Changed(e.PatronId);

    private Task Changed(Guid patronId)
    {
        invalidations.Touch(PatronEligibilityCache.Of(patronId));
        return Task.CompletedTask;
    }
}
