using Library.Catalog.Domain.Books;
using Library.Catalog.Infrastructure.Persistence;
using Library.SharedKernel.Caching;
using Microsoft.EntityFrameworkCore;

namespace Library.Catalog.Application.Books.GetBook;

public sealed class GetBookHandler(QueryCache cache)
{
    private static readonly Func<CatalogDbContext, BookId, CancellationToken, Task<BookResponse?>> s_byId =
        EF.CompileAsyncQuery((CatalogDbContext context, BookId id, CancellationToken _) =>
            context.Books.AsNoTracking()
                .Where(b => b.Id == id)
                .Select(b => new BookResponse(b.Id.Value, b.Title, b.Author, b.Isbn, b.Status, b.Version))
                .FirstOrDefault());

    public Task<BookResponse?> HandleAsync(BookId id, CancellationToken cancellationToken)
        => cache.GetOrLoadAsync<CatalogDbContext, BookResponse>($"book:{id}", BookCache.Of(id), (db, ct) => s_byId(db, id, ct), cancellationToken);
}
