using Library.SharedKernel.Domain;

namespace Library.Lending.Domain.Loans;

public readonly record struct LoanId(Guid Value) : IComparable<LoanId>
{
    public static bool operator <(LoanId left, LoanId right) => left.CompareTo(right) < 0;

    public static bool operator >(LoanId left, LoanId right) => left.CompareTo(right) > 0;

    public static bool operator <=(LoanId left, LoanId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(LoanId left, LoanId right) => left.CompareTo(right) >= 0;

    public static LoanId New() => new(TypedId.NewValue());

    public static bool TryParse(string? raw, out LoanId id)
    {
        var ok = TypedId.TryParse(raw, out var value);
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
