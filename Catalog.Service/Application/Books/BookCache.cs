using Library.Catalog.Domain.Books;

namespace Library.Catalog.Application.Books;

/// <summary>The cache generations of the catalog: one per book (its GET) and one for every list of books.</summary>
public static class BookCache
{
    public const string AllLists = "gen:books";

    public static string Of(BookId id) => $"gen:book:{id}";

    /// <summary>Everything a change to one book can make stale.</summary>
    public static string[] Changed(BookId id) => [Of(id), AllLists];
}
