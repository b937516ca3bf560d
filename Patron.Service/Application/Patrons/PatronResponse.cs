using Library.Patron.Domain.Patrons;

namespace Library.Patron.Application.Patrons;

/// <summary>A patron as the API shows it (SPEC §2 field list).</summary>
public sealed record PatronResponse(
    Guid Id,
    string FirstName,
    string LastName,
    string Email,
    MembershipTier MembershipTier,
    bool Suspended,
    string? SuspendedReason,
    DateTimeOffset RegisteredAt)
{
    public static PatronResponse From(Domain.Patrons.Patron patron)
    {
        ArgumentNullException.ThrowIfNull(patron);
        return new PatronResponse(patron.Id.Value, patron.FirstName, patron.LastName, patron.Email, patron.MembershipTier, patron.Suspended, patron.SuspendedReason, patron.RegisteredAt);
    }
}

/// <summary>What Catalog asks before reserving a book for a patron (SPEC §3), with the version that orders it.</summary>
public sealed record BorrowerEligibility(Guid PatronId, string Email, MembershipTier MembershipTier, bool Suspended, int Version);
