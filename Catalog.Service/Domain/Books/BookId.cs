using Library.SharedKernel.Domain;

namespace Library.Catalog.Domain.Books;

/// <summary>A book's identity: a UUIDv7, so ids sort in creation order (SPEC §2).</summary>
public readonly record struct BookId(Guid Value) : IComparable<BookId>
{
    public static bool operator <(BookId left, BookId right) => left.CompareTo(right) < 0;

    public static bool operator >(BookId left, BookId right) => left.CompareTo(right) > 0;

    public static bool operator <=(BookId left, BookId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(BookId left, BookId right) => left.CompareTo(right) >= 0;

    // Guid.CompareTo and PostgreSQL's uuid both order by the canonical text form, so a UUIDv7 sorts by creation time in both.
    public int CompareTo(BookId other) => Value.CompareTo(other.Value);

    public static BookId New() => new(TypedId.NewValue());

    public static bool TryParse(string? raw, out BookId id)
    {
        var ok = TypedId.TryParse(raw, out var value);
        id = new BookId(value);
        return ok;
    }

    public override string ToString() => Value.ToString();
}
