using Library.Patron.Domain.Patrons;
using Library.Patron.Infrastructure.Persistence;
using Library.SharedKernel.Caching;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Http;
using Microsoft.EntityFrameworkCore;

namespace Library.Patron.Application.Patrons;

public sealed record SuspendPatronCommand(PatronId PatronId, string? Reason);

public sealed record ReinstatePatronCommand(PatronId PatronId);

public sealed record UpgradePatronTierCommand(PatronId PatronId, string? MembershipTier);

/// <summary>The librarian's changes to a patron: suspend, reinstate, upgrade tier (SPEC §2).</summary>
public sealed class ChangePatronHandler(PatronDbContext db, CacheInvalidations invalidations, TimeProvider timeProvider)
{
    public static readonly Func<PatronId, DomainError> NotFound = id => new("patron.not_found", $"No patron with id {id}.", ErrorKind.NotFound);

    public async Task<PatronResponse> HandleAsync(SuspendPatronCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var errors = new ValidationErrors();
        var reason = errors.Collect("reason", SuspensionReason.Create(command.Reason));
        errors.ThrowIfAny();
        return await ChangeAsync(command.PatronId, patron => patron.Suspend(reason!, timeProvider.UtcNowMicroseconds()), cancellationToken);
    }

    public Task<PatronResponse> HandleAsync(ReinstatePatronCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return ChangeAsync(command.PatronId, patron => patron.Reinstate(timeProvider.UtcNowMicroseconds()), cancellationToken);
    }

    public Task<PatronResponse> HandleAsync(UpgradePatronTierCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!MembershipTiers.TryParse(command.MembershipTier, out var tier))
        {
            throw ValidationException.ForField("membershipTier", "membershipTier must be one of: regular, premium, researcher.");
        }

        return ChangeAsync(command.PatronId, patron => patron.UpgradeTier(tier, timeProvider.UtcNowMicroseconds()), cancellationToken);
    }

    private async Task<PatronResponse> ChangeAsync(PatronId id, Action<Domain.Patrons.Patron> change, CancellationToken cancellationToken)
    {
        var patron = await db.Patrons.SingleOrDefaultAsync(p => p.Id == id, cancellationToken) ?? throw new DomainErrorException(NotFound(id));
        change(patron);
        invalidations.Touch(PatronCache.Of(id), PatronCache.AllLists);
        await db.SaveChangesAsync(cancellationToken);
        await invalidations.AfterSaveAsync(db);
        return PatronResponse.From(patron);
    }
}
