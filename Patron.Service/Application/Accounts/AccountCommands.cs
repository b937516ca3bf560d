using Library.Patron.Application.Patrons;
using Library.Patron.Domain.Accounts;
using Library.Patron.Domain.Patrons;
using Library.Patron.Infrastructure.Persistence;
using Library.SharedKernel.Caching;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Http;
using Library.SharedKernel.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Library.Patron.Application.Accounts;

public sealed record RegisterAccountCommand(string? Email, string? Password, string? FirstName, string? LastName);

public sealed record LoginCommand(string? Email, string? Password);

public sealed record CreateStaffCommand(string? Email, string? Password, string? FirstName, string? LastName, string? Role);

/// <summary>Sign-up, sign-in, refresh, sign-out and staff accounts (SPEC §5).</summary>
public sealed class AccountCommands(
    PatronDbContext db,
    TokenIssuer tokens,
    IPasswordHasher<Account> hasher,
    RevocationList revocations,
    CacheInvalidations invalidations,
    IOptions<AuthOptions> authOptions,
    IOptions<LockoutOptions> lockoutOptions,
    TimeProvider timeProvider)
{
    /// <summary>Unknown e-mail, wrong password and locked account answer alike: nothing tells them apart.</summary>
    public static readonly DomainError InvalidCredentials = new("auth.invalid_credentials", "The e-mail address or password is wrong, or the account is temporarily locked.", ErrorKind.Unauthenticated);

    public static readonly DomainError InvalidRefreshToken = new("auth.invalid_refresh_token", "The refresh token is unknown, expired or revoked; sign in again.", ErrorKind.Unauthenticated);

    public static readonly DomainError AccountEmailTaken = new("account.email_taken", "An account with this e-mail address already exists.", ErrorKind.Conflict);

    // Verifying against this hash makes an unknown e-mail cost what a wrong password costs.
    private static readonly Lazy<string> s_decoyHash = new(() => new PasswordHasher<Account>().HashPassword(null!, "decoy-password-0"));

    public async Task<PatronResponse> RegisterAsync(RegisterAccountCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var errors = new ValidationErrors();
        var (email, password, firstName, lastName) = CollectIdentity(errors, command.Email, command.Password, command.FirstName, command.LastName);
        errors.ThrowIfAny();

        if (await db.Patrons.AnyAsync(p => p.Email == email!.Value, cancellationToken) || await db.Accounts.AnyAsync(a => a.Email == email!.Value, cancellationToken))
        {
            throw new DomainErrorException(RegisterPatronHandler.EmailTaken);
        }

        var now = timeProvider.UtcNowMicroseconds();
        var patron = Domain.Patrons.Patron.Register(firstName!, lastName!, email!, MembershipTier.Regular, now);
        db.Patrons.Add(patron);
        db.Accounts.Add(Account.ForPatron(patron, hasher.HashPassword(null!, password!), now));
        invalidations.Touch(PatronCache.AllLists);
        await SaveUniqueAsync(RegisterPatronHandler.EmailTaken, cancellationToken);
        await invalidations.AfterSaveAsync(db);
        return PatronResponse.From(patron);
    }

    public async Task<TokenPair> LoginAsync(LoginCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var errors = new ValidationErrors();
        if (string.IsNullOrEmpty(command.Email))
        {
            errors.Add("email", "email is required.");
        }

        if (string.IsNullOrEmpty(command.Password))
        {
            errors.Add("password", "password is required.");
        }

        errors.ThrowIfAny();
        var email = command.Email!.Trim().ToLowerInvariant();
        for (var attempt = 0; ; attempt++)
        {
            var account = await db.Accounts.SingleOrDefaultAsync(a => a.Email == email, cancellationToken);
            if (account is null || command.Password!.Length > PasswordPolicy.MaxLength)
            {
                hasher.VerifyHashedPassword(null!, s_decoyHash.Value, command.Password!.Length > PasswordPolicy.MaxLength ? string.Empty : command.Password);
                throw new DomainErrorException(InvalidCredentials);
            }

            var now = timeProvider.UtcNowMicroseconds();
            var verdict = hasher.VerifyHashedPassword(account, account.PasswordHash, command.Password);
            try
            {
                if (account.IsLockedAt(now))
                {
                    throw new DomainErrorException(InvalidCredentials);
                }

                if (verdict == PasswordVerificationResult.Failed)
                {
                    account.RecordFailedLogin(now, lockoutOptions.Value.Policy);
                    await db.SaveChangesAsync(cancellationToken);
                    throw new DomainErrorException(InvalidCredentials);
                }

                account.RecordSuccessfulLogin();
                if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
                {
                    account.Rehash(hasher.HashPassword(account, command.Password));
                }

                var pair = await tokens.IssueAsync(account, Guid.CreateVersion7(), cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
                return pair;
            }
            catch (DbUpdateConcurrencyException) when (attempt < 5)
            {
                // Another sign-in of the same account counted at the same moment: judge again on fresh state.
                db.ChangeTracker.Clear();
            }
        }
    }

    public async Task<TokenPair> RefreshAsync(string? refreshToken, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(refreshToken))
        {
            throw new ValidationException(new Dictionary<string, string[]> { ["refreshToken"] = ["refreshToken is required."] });
        }

        if (refreshToken.Length > 256)
        {
            throw new DomainErrorException(InvalidRefreshToken);
        }

        var hash = TokenIssuer.Hash(refreshToken);
        var now = timeProvider.UtcNowMicroseconds();
        var stored = await db.RefreshTokens.AsNoTracking().SingleOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (stored is null || stored.RevokedAt is not null || stored.ExpiresAt <= now)
        {
            throw new DomainErrorException(InvalidRefreshToken);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // Claiming the token is one conditional update: of two refreshes racing with it, one wins and the other is a reuse.
        var claimed = await db.RefreshTokens
            .Where(t => t.TokenHash == hash && t.UsedAt == null && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAt, now), cancellationToken);
        if (claimed == 0 && !await SupersedeWithinGraceAsync(hash, now, cancellationToken))
        {
            await transaction.RollbackAsync(cancellationToken);
            await RevokeFamilyAsync(stored.FamilyId, cancellationToken);
            throw new DomainErrorException(InvalidRefreshToken);
        }

        var account = await db.Accounts.SingleOrDefaultAsync(a => a.Id == new AccountId(stored.AccountId), cancellationToken)
            ?? throw new DomainErrorException(InvalidRefreshToken);
        var (pair, successor) = await tokens.IssueWithHashAsync(account, stored.FamilyId, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await db.RefreshTokens.Where(t => t.TokenHash == hash)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.ReplacedBy, successor), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return pair;
    }

    /// <summary>
    /// A token used moments ago (within <see cref="AuthOptions.RefreshReuseGrace"/>) is presented again: the client
    /// most likely lost the answer, or two of its tabs refreshed at once. If its successor has not been used yet,
    /// that successor is revoked (one live token per family stays the rule) and the caller mints a sibling; true.
    /// Anything else is a reuse: false.
    /// </summary>
    private async Task<bool> SupersedeWithinGraceAsync(byte[] hash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var grace = authOptions.Value.RefreshReuseGrace;
        if (grace <= TimeSpan.Zero)
        {
            return false;
        }

        var used = await db.RefreshTokens.AsNoTracking().SingleOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (used is not { UsedAt: { } usedAt, RevokedAt: null, ReplacedBy: { } successor } || now - usedAt > grace)
        {
            return false;
        }

        // Conditional, like the claim: a successor that was used or revoked meanwhile makes this a reuse.
        var superseded = await db.RefreshTokens
            .Where(t => t.TokenHash == successor && t.UsedAt == null && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);
        return superseded == 1;
    }

    /// <summary>Ends the session: this access token is denied until it expires, and its refresh family is revoked.</summary>
    public async Task LogoutAsync(string? tokenId, string? sessionId, DateTimeOffset tokenExpiresAt, CancellationToken cancellationToken)
    {
        var entries = new List<string>();
        if (tokenId is not null)
        {
            entries.Add(RevocationList.TokenEntry(tokenId));
        }

        if (Guid.TryParse(sessionId, out var familyId))
        {
            await RevokeFamilyAsync(familyId, cancellationToken);
        }

        if (entries.Count > 0)
        {
            await revocations.RevokeAsync(entries, tokenExpiresAt);
        }
    }

    public async Task<AccountResponse> CreateStaffAsync(CreateStaffCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var errors = new ValidationErrors();
        var (email, password, firstName, lastName) = CollectIdentity(errors, command.Email, command.Password, command.FirstName, command.LastName);
        StaffRole? role = command.Role switch
        {
            LibraryRoles.Librarian => StaffRole.Librarian,
            LibraryRoles.Admin => StaffRole.Admin,
            _ => null,
        };
        if (role is null)
        {
            errors.Add("role", "role must be one of: librarian, admin.");
        }

        errors.ThrowIfAny();
        if (await db.Accounts.AnyAsync(a => a.Email == email!.Value, cancellationToken))
        {
            throw new DomainErrorException(AccountEmailTaken);
        }

        var account = Account.ForStaff(email!, firstName!, lastName!, role!.Value, hasher.HashPassword(null!, password!), timeProvider.UtcNowMicroseconds());
        db.Accounts.Add(account);
        await SaveUniqueAsync(AccountEmailTaken, cancellationToken);
        return AccountResponse.From(account);
    }

    /// <summary>Creates the first admin from configuration when there is no admin yet; false when nothing was done.</summary>
    public async Task<bool> BootstrapAdminAsync(string email, string password, CancellationToken cancellationToken)
    {
        if (await db.Accounts.AnyAsync(a => a.Role == LibraryRoles.Admin, cancellationToken))
        {
            return false;
        }

        try
        {
            await CreateStaffAsync(new CreateStaffCommand(email, password, "Library", "Administrator", LibraryRoles.Admin), cancellationToken);
            return true;
        }
        catch (DomainErrorException e) when (e.Error == AccountEmailTaken)
        {
            // Another replica bootstrapped the same admin a moment ago.
            return false;
        }
    }

    /// <summary>The fields every new account has, each checked, every problem collected (not just the first).</summary>
    private static (EmailAddress? Email, string? Password, PersonName? FirstName, PersonName? LastName) CollectIdentity(
        ValidationErrors errors, string? email, string? password, string? firstName, string? lastName)
        => (errors.Collect("email", EmailAddress.Create(email)),
            errors.Collect("password", PasswordPolicy.Check(password)),
            errors.Collect("firstName", PersonName.Create(firstName, "firstName")),
            errors.Collect("lastName", PersonName.Create(lastName, "lastName")));

    private async Task RevokeFamilyAsync(Guid familyId, CancellationToken cancellationToken)
    {
        var now = timeProvider.UtcNowMicroseconds();
        await db.RefreshTokens.Where(t => t.FamilyId == familyId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);

        // Access tokens of the family live at most one lifetime more; deny the whole session until then.
        var auth = authOptions.Value;
        await revocations.RevokeAsync([RevocationList.SessionEntry(familyId.ToString())], now + auth.AccessTokenLifetime + auth.ClockSkew);
    }

    private async Task SaveUniqueAsync(DomainError taken, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Two sign-ups raced past the check; the unique index decided.
            throw new DomainErrorException(taken);
        }
    }
}

/// <summary>Lockout settings (section <c>Auth:Lockout</c>): 5 failures lock for 15 minutes unless configured otherwise.</summary>
public sealed class LockoutOptions
{
    public int MaxFailedAttempts { get; set; } = LockoutPolicy.Default.MaxFailedAttempts;

    public TimeSpan LockoutDuration { get; set; } = LockoutPolicy.Default.LockoutDuration;

    public LockoutPolicy Policy => new(MaxFailedAttempts, LockoutDuration);
}
