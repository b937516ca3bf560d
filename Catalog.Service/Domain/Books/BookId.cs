namespace Library.Catalog.Domain.Books;

/// <summary>A book's identity: a UUIDv7, so ids sort in creation order (SPEC §2).</summary>
public readonly record struct BookId(Guid Value)
{
    public static BookId New() => new(Guid.CreateVersion7());

    public static bool TryParse(string? raw, out BookId id)
    {
        var ok = Guid.TryParseExact(raw, "D", out var value) && value != Guid.Empty;
        id = new BookId(value);
        return ok;
    }

    public override string ToString() => Value.ToString();
}
