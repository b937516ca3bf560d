using Library.Patron.Domain.Patrons;
using Library.Patron.Infrastructure.Persistence;
using Library.SharedKernel.Caching;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Http;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Library.Patron.Application.Patrons;

public sealed record RegisterPatronCommand(string? FirstName, string? LastName, string? Email, string? MembershipTier);

public sealed class RegisterPatronHandler(PatronDbContext db, CacheInvalidations invalidations, TimeProvider timeProvider)
{
    public static readonly DomainError EmailTaken = new("patron.email_taken", "A patron with this e-mail address already exists.", ErrorKind.Conflict);

    public async Task<PatronResponse> HandleAsync(RegisterPatronCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var errors = new ValidationErrors();
        var firstName = errors.Collect("firstName", PersonName.Create(command.FirstName, "firstName"));
        var lastName = errors.Collect("lastName", PersonName.Create(command.LastName, "lastName"));
        var email = errors.Collect("email", EmailAddress.Create(command.Email));
        var tier = MembershipTier.Regular;
        if (command.MembershipTier is not null && !MembershipTiers.TryParse(command.MembershipTier, out tier))
        {
            errors.Add("membershipTier", "membershipTier must be one of: regular, premium, researcher.");
        }

        errors.ThrowIfAny();
        if (await db.Patrons.AnyAsync(p => p.Email == email!.Value, cancellationToken))
        {
            throw new DomainErrorException(EmailTaken);
        }

        var patron = Domain.Patrons.Patron.Register(firstName!, lastName!, email!, tier, timeProvider.UtcNowMicroseconds());
        db.Patrons.Add(patron);
        invalidations.Touch(PatronCache.AllLists);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await invalidations.AfterSaveAsync(db);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Two registrations raced past the check; the unique index decided.
            throw new DomainErrorException(EmailTaken);
        }

        return PatronResponse.From(patron);
    }
}
