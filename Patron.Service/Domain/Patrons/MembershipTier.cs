namespace Library.Patron.Domain.Patrons;

/// <summary>Ordered: a patron may only move up (regular &lt; premium &lt; researcher).</summary>
public enum MembershipTier
{
    Regular = 0,
    Premium = 1,
    Researcher = 2,
}

public static class MembershipTiers
{
    /// <summary>Accepts exactly one tier name, in any case; numbers and combinations ("regular,premium") are refused.</summary>
    public static bool TryParse(string? raw, out MembershipTier tier)
    {
        switch (raw?.Trim().ToLowerInvariant())
        {
            case "regular":
                tier = MembershipTier.Regular;
                return true;
            case "premium":
                tier = MembershipTier.Premium;
                return true;
            case "researcher":
                tier = MembershipTier.Researcher;
                return true;
            default:
                tier = MembershipTier.Regular;
                return false;
        }
    }

    public static string ToWire(this MembershipTier tier) => tier switch
    {
        MembershipTier.Premium => "premium",
        MembershipTier.Researcher => "researcher",
        _ => "regular",
    };
}
