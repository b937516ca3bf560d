namespace Library.Lending.Domain.Borrowers;

/// <summary>
/// Lending's own view of a patron (SPEC §2 borrower projection), fed by Patron's events and by the snapshot
/// a reservation carries. The newest version wins, so order and duplicates do not matter.
/// </summary>
public sealed class Borrower
{
    private Borrower()
    {
        Email = null!;
        MembershipTier = null!;
    }

    public Guid PatronId { get; private set; }

    public string Email { get; private set; }

    public string MembershipTier { get; private set; }

    public bool Suspended { get; private set; }

    public int Version { get; private set; }

    public static Borrower From(Guid patronId, string email, string membershipTier, bool suspended, int version)
        => new() { PatronId = patronId, Email = email, MembershipTier = membershipTier, Suspended = suspended, Version = version };

    /// <summary>Applies a newer view of the patron; an older or equal version changes nothing.</summary>
    public bool Apply(string email, string membershipTier, bool suspended, int version)
    {
        if (version <= Version)
        {
            return false;
        }

        Email = email;
        MembershipTier = membershipTier;
        Suspended = suspended;
        Version = version;
        return true;
    }
}
