namespace Library.Lending.Domain.Loans;

public readonly record struct LoanId(Guid Value) : IComparable<LoanId>
{
    public static bool operator <(LoanId left, LoanId right) => left.CompareTo(right) < 0;

    public static bool operator >(LoanId left, LoanId right) => left.CompareTo(right) > 0;

    public static bool operator <=(LoanId left, LoanId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(LoanId left, LoanId right) => left.CompareTo(right) >= 0;

    public static LoanId New() => new(Guid.CreateVersion7());

    public static bool TryParse(string? raw, out LoanId id)
    {
        var ok = Guid.TryParseExact(raw, "D", out var value) && value != Guid.Empty;
        id = new LoanId(value);
        return ok;
    }

    public int CompareTo(LoanId other) => Value.CompareTo(other.Value);

    public override string ToString() => Value.ToString();
}

public enum LoanStatus
{
    Active,
    Overdue,
    Returned,
    Cancelled,
}
