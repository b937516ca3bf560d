using Library.Catalog.Domain.Books;

namespace Library.Catalog.Application.Books;

/// <summary>A book as the API shows it (SPEC §2 field list).</summary>
public sealed record BookResponse(Guid Id, string Title, string Author, string? Isbn, BookStatus Status, int Version)
{
    public static BookResponse From(Book book)
    {
        ArgumentNullException.ThrowIfNull(book);
        return new BookResponse(book.Id.Value, book.Title, book.Author, book.Isbn, book.Status, book.Version);
    }
}
