using Library.SharedKernel.Domain;

namespace Library.Patron.Domain.Patrons;

/// <summary>A patron's identity: a UUIDv7, so ids sort in registration order.</summary>
public readonly record struct PatronId(Guid Value) : IComparable<PatronId>
{
    public static bool operator <(PatronId left, PatronId right) => left.CompareTo(right) < 0;

    public static bool operator >(PatronId left, PatronId right) => left.CompareTo(right) > 0;

    public static bool operator <=(PatronId left, PatronId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(PatronId left, PatronId right) => left.CompareTo(right) >= 0;

    public static PatronId New() => new(TypedId.NewValue());

    public static bool TryParse(string? raw, out PatronId id)
    {
        var ok = TypedId.TryParse(raw, out var value);
        id = new PatronId(value);
        return ok;
    }

    public int CompareTo(PatronId other) => Value.CompareTo(other.Value);

    public override string ToString() => Value.ToString();
}
