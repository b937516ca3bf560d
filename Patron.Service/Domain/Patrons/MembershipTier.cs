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
    public static bool TryParse(string? raw, out MembershipTier tier)
    {
        tier = MembershipTier.Regular;
        return !string.IsNullOrWhiteSpace(raw) && !int.TryParse(raw, out _) && Enum.TryParse(raw.Trim(), ignoreCase: true, out tier) && Enum.IsDefined(tier);
    }

    public static string ToWire(this MembershipTier tier) => tier switch
    {
        MembershipTier.Premium => "premium",
        MembershipTier.Researcher => "researcher",
        _ => "regular",
    };
}
