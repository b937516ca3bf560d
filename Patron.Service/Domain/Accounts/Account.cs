using Library.Patron.Domain.Patrons;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Security;

namespace Library.Patron.Domain.Accounts;

/// <summary>An account's identity: a UUIDv7, the <c>sub</c> of its access tokens.</summary>
public readonly record struct AccountId(Guid Value)
{
    public static AccountId New() => new(TypedId.NewValue());

    public override string ToString() => Value.ToString();
}

/// <summary>
/// Who may sign in, and as what: a patron's own account, or a staff account (librarian, admin). Failed sign-ins
/// are counted; enough of them in a row lock the account for a while (SPEC §5).
/// </summary>
public sealed class Account : AggregateRoot<AccountId>
{
    private Account()
    {
        Email = null!;
        PasswordHash = null!;
        Role = null!;
        FirstName = null!;
        LastName = null!;
    }

    public string Email { get; private set; }

    public string PasswordHash { get; private set; }

    public string Role { get; private set; }

    /// <summary>The patron this account is; null for staff.</summary>
    public PatronId? PatronId { get; private set; }

    public string FirstName { get; private set; }

    public string LastName { get; private set; }

    public int FailedLogins { get; private set; }

    public DateTimeOffset? LockedUntil { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public static Account ForPatron(Patrons.Patron patron, string passwordHash, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(patron);
        return new Account
        {
            Id = AccountId.New(),
            Email = patron.Email,
            PasswordHash = passwordHash,
            Role = LibraryRoles.Patron,
            PatronId = patron.Id,
            FirstName = patron.FirstName,
            LastName = patron.LastName,
            CreatedAt = now,
            Version = 1,
        };
    }

    public static Account ForStaff(EmailAddress email, PersonName firstName, PersonName lastName, StaffRole role, string passwordHash, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(email);
        ArgumentNullException.ThrowIfNull(firstName);
        ArgumentNullException.ThrowIfNull(lastName);
        return new Account
        {
            Id = AccountId.New(),
            Email = email.Value,
            PasswordHash = passwordHash,
            Role = role == StaffRole.Admin ? LibraryRoles.Admin : LibraryRoles.Librarian,
            FirstName = firstName.Value,
            LastName = lastName.Value,
            CreatedAt = now,
            Version = 1,
        };
    }

    public bool IsLockedAt(DateTimeOffset now) => LockedUntil > now;

    /// <summary>Counts a failed sign-in; the <paramref name="policy"/>'s limit locks the account and starts the count again.</summary>
    public void RecordFailedLogin(DateTimeOffset now, LockoutPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Version++;
        FailedLogins++;
        if (FailedLogins >= policy.MaxFailedAttempts)
        {
            LockedUntil = now + policy.LockoutDuration;
            FailedLogins = 0;
        }
    }

    public void RecordSuccessfulLogin()
    {
        Version++;
        FailedLogins = 0;
        LockedUntil = null;
    }

    /// <summary>Replaces the hash when the hasher asks for a stronger one (its parameters were raised).</summary>
    public void Rehash(string passwordHash)
    {
        Version++;
        PasswordHash = passwordHash;
    }
}

public enum StaffRole
{
    Librarian,
    Admin,
}

/// <summary>How many failed sign-ins in a row lock an account, and for how long.</summary>
public sealed record LockoutPolicy(int MaxFailedAttempts, TimeSpan LockoutDuration)
{
    public static readonly LockoutPolicy Default = new(5, TimeSpan.FromMinutes(15));
}

/// <summary>SPEC §4's password rule: 8–128 characters with at least one letter and one digit.</summary>
public static class PasswordPolicy
{
    public const int MinLength = 8;
    public const int MaxLength = 128;

    public static Result<string> Check(string? password)
    {
        if (password is null || password.Length < MinLength || password.Length > MaxLength)
        {
            return Result<string>.Failure("account.password_invalid", $"password must be {MinLength}–{MaxLength} characters.");
        }

        if (!password.Any(char.IsLetter) || !password.Any(char.IsDigit))
        {
            return Result<string>.Failure("account.password_invalid", "password must contain at least one letter and one digit.");
        }

        return password;
    }
}
