using Library.Catalog.Domain.Borrowing;
using Library.Catalog.Infrastructure.Persistence;
using Library.Catalog.Application.Books;
using Library.SharedKernel.Caching;
using Library.SharedKernel.Contracts.Lending;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Messaging;
using Microsoft.EntityFrameworkCore;

namespace Library.Catalog.Application.Borrowing;

/// <summary>Steps 3 and 5 of the borrow saga on the catalog side (SPEC §3); replays change nothing.</summary>
public sealed class LoanEventsHandler(CatalogDbContext db, CacheInvalidations invalidations, TimeProvider timeProvider) :
    IIntegrationEventHandler<LoanCreated>,
    IIntegrationEventHandler<LoanRejected>,
    IIntegrationEventHandler<LoanReturned>
{
    public Task HandleAsync(LoanCreated e, IntegrationEventEnvelope envelope, CancellationToken cancellationToken)
        => ApplyAsync(e.OperationId, (operation, book, now) => operation.ConfirmBorrow(book, e.LoanId, now), cancellationToken);

    public Task HandleAsync(LoanRejected e, IntegrationEventEnvelope envelope, CancellationToken cancellationToken)
        => ApplyAsync(e.OperationId, (operation, book, now) => operation.Release(book, e.Reason, now), cancellationToken);

    public Task HandleAsync(LoanReturned e, IntegrationEventEnvelope envelope, CancellationToken cancellationToken)
        => ApplyAsync(e.OperationId, (operation, book, now) => operation.MarkReturned(book, now), cancellationToken);

    private async Task ApplyAsync(Guid operationId, Func<BorrowOperation, Domain.Books.Book, DateTimeOffset, bool> step, CancellationToken cancellationToken)
    {
        // The operation and its book in one query (both tracked).
        var pair = await db.BorrowOperations.Where(o => o.Id == operationId)
            .Join(db.Books, o => o.BookId, b => b.Id, (o, b) => new { Operation = o, Book = b })
            .SingleOrDefaultAsync(cancellationToken);
        if (pair is null)
        {
            return; // not one of ours
        }

        var (operation, book) = (pair.Operation, pair.Book);
        if (step(operation, book, timeProvider.UtcNowMicroseconds()))
        {
            invalidations.Touch(BookCache.Changed(book.Id)); // flushed by the consumer after its commit
            await db.SaveChangesAsync(cancellationToken);
        }
    }
}
