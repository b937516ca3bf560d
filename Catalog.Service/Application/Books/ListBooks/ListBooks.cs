using Library.Catalog.Domain.Books;
using Library.Catalog.Infrastructure.Persistence;
using Library.SharedKernel.Caching;
using Library.SharedKernel.Http;
using Library.SharedKernel.Pagination;
using Library.SharedKernel.Text;
using Microsoft.EntityFrameworkCore;

namespace Library.Catalog.Application.Books.ListBooks;

public sealed record ListBooksQuery(string? Title, string? Author, string? Status, int? Limit, string? Cursor);

/// <summary>Keyset page of books ordered by id (creation order); title and author are case-insensitive substrings.</summary>
public sealed class ListBooksHandler(QueryCache cache)
{
    private const int MaxFilterLength = 200;

    public async Task<Page<BookResponse>> HandleAsync(ListBooksQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var errors = new ValidationErrors();
        var title = Filter("title", query.Title, errors);
        var author = Filter("author", query.Author, errors);
        BookStatus? status = null;
        if (!string.IsNullOrEmpty(query.Status))
        {
            if (Enum.TryParse<BookStatus>(query.Status, ignoreCase: true, out var parsed) && !int.TryParse(query.Status, out _))
            {
                status = parsed;
            }
            else
            {
                errors.Add("status", "status must be one of: available, reserved, borrowed.");
            }
        }

        var page = PageRequest.Create(query.Limit, query.Cursor, KeysetCursor.Fingerprint("books", title, author, status?.ToString()), errors);
        errors.ThrowIfAny();
        return (await cache.GetOrLoadAsync($"books:{page.QueryFingerprint}:{page.After}:{page.Limit}", BookCache.AllLists, (CatalogDbContext db, CancellationToken ct) => LoadAsync(db, page, title, author, status, ct), cancellationToken))!;
    }

    private static async Task<Page<BookResponse>?> LoadAsync(CatalogDbContext db, PageRequest page, string? title, string? author, BookStatus? status, CancellationToken cancellationToken)
    {

        var books = db.Books.AsNoTracking();
        if (title is not null)
        {
            books = books.Where(b => EF.Functions.ILike(b.Title, Contains(title), "\\"));
        }

        if (author is not null)
        {
            books = books.Where(b => EF.Functions.ILike(b.Author, Contains(author), "\\"));
        }

        if (status is { } s)
        {
            books = books.Where(b => b.Status == s);
        }

        if (page.After is { } after)
        {
            var afterId = new BookId(after);
            books = books.Where(b => b.Id > afterId);
        }

        var rows = await books
            .OrderBy(b => b.Id)
            .Take(page.Limit + 1)
            .Select(b => new BookResponse(b.Id.Value, b.Title, b.Author, b.Isbn, b.Status, b.Version))
            .ToListAsync(cancellationToken);
        return page.ToPage(rows, r => r.Id, r => r);
    }

    private static string? Filter(string field, string? raw, ValidationErrors errors)
    {
        var value = TextNormalizer.Normalize(raw);
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (value.Length > MaxFilterLength)
        {
            errors.Add(field, $"{field} filter must be at most {MaxFilterLength} characters.");
        }

        return value;
    }

    // LIKE wildcards typed by a client are literal characters, not patterns.
    private static string Contains(string value)
        => "%" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
}
