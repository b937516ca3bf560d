using Library.Catalog.Domain.Books;
using Library.Catalog.Infrastructure.Persistence;
using Library.SharedKernel.Caching;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Http;

namespace Library.Catalog.Application.Books.AddBook;

public sealed record AddBookCommand(string? Title, string? Author, string? Isbn);

public sealed class AddBookHandler(CatalogDbContext db, CacheInvalidations invalidations, TimeProvider timeProvider)
{
    public async Task<BookResponse> HandleAsync(AddBookCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var errors = new ValidationErrors();
        var title = errors.Collect("title", BookTitle.Create(command.Title));
        var author = errors.Collect("author", Author.Create(command.Author));
        var isbn = string.IsNullOrWhiteSpace(command.Isbn) ? null : errors.Collect("isbn", Isbn.Create(command.Isbn));
        errors.ThrowIfAny();

        var book = Book.Add(title!, author!, isbn, timeProvider.UtcNowMicroseconds());
        db.Books.Add(book);
        invalidations.Touch(BookCache.AllLists);
        await db.SaveChangesAsync(cancellationToken);
        await invalidations.AfterSaveAsync(db);
        return BookResponse.From(book);
    }
}
