using Library.Catalog.Domain.Books;
using Library.Catalog.Domain.Borrowing;
using Library.Catalog.Infrastructure.Patrons;
using Library.Catalog.Infrastructure.Persistence;
using Library.Catalog.Application.Books;
using Library.SharedKernel.Caching;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Http;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Library.Catalog.Application.Borrowing;

public sealed record StartBorrowCommand(string? BookId, string? PatronId);

/// <summary>A borrow operation as the client polls it (SPEC §2).</summary>
public sealed record BorrowOperationResponse(
    Guid Id,
    Guid BookId,
    Guid PatronId,
    BorrowOperationStatus Status,
    Guid? LoanId,
    string? FailureReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static BorrowOperationResponse From(BorrowOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return new(operation.Id, operation.BookId.Value, operation.PatronId, operation.Status, operation.LoanId, operation.FailureReason, operation.CreatedAt, operation.UpdatedAt);
    }
}

/// <summary>
/// Step 1 of the borrow saga (SPEC §3): ask Patron whether the patron may borrow (403 fast), reserve the book
/// (409 if taken), record the operation and its BookReserved event in one transaction, answer 202.
/// </summary>
public sealed class StartBorrowHandler(CatalogDbContext db, PatronEligibility patrons, CacheInvalidations invalidations, TimeProvider timeProvider)
{
    public static readonly DomainError UnknownPatron = new("patron.unknown", "No patron with this id may borrow.", ErrorKind.Forbidden);

    public static readonly DomainError BookTaken = new("book.unavailable", "The book is reserved or borrowed.", ErrorKind.Conflict);

    public async Task<BorrowOperationResponse> HandleAsync(StartBorrowCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var errors = new ValidationErrors();
        if (!BookId.TryParse(command.BookId, out var bookId))
        {
            errors.Add("bookId", "bookId must be a UUID.");
        }

        if (string.IsNullOrEmpty(command.PatronId))
        {
            errors.Add("patronId", "patronId is required.");
        }
        else if (!TypedId.TryParse(command.PatronId, out _))
        {
            errors.Add("patronId", "patronId must be a UUID.");
        }

        errors.ThrowIfAny();
        var patronId = Guid.ParseExact(command.PatronId!, "D");
        var book = await db.Books.SingleOrDefaultAsync(b => b.Id == bookId, cancellationToken)
            ?? throw new DomainErrorException(new DomainError("book.not_found", $"No book with id {bookId}.", ErrorKind.NotFound));
        if (book.Status != BookStatus.Available)
        {
            throw new DomainErrorException(BookTaken); // answer before asking Patron anything
        }

        var borrower = await patrons.GetAsync(patronId, cancellationToken) ?? throw new DomainErrorException(UnknownPatron);
        var operation = BorrowOperation.Start(book, borrower, timeProvider.UtcNowMicroseconds());
        db.BorrowOperations.Add(operation);
        invalidations.Touch(BookCache.Changed(book.Id));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await invalidations.AfterSaveAsync(db);
        }
        catch (DbUpdateException e) when (e is DbUpdateConcurrencyException || e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another borrow reserved the book between our read and our write; the version check or the
            // one-active-operation index refused the second reservation.
            throw new DomainErrorException(BookTaken);
        }

        return BorrowOperationResponse.From(operation);
    }
}

public sealed class BorrowOperationQueries(CatalogDbContext db)
{
    public Task<BorrowOperationResponse?> GetAsync(Guid id, CancellationToken cancellationToken)
        => db.BorrowOperations.AsNoTracking().Where(o => o.Id == id)
            .Select(o => new BorrowOperationResponse(o.Id, o.BookId.Value, o.PatronId, o.Status, o.LoanId, o.FailureReason, o.CreatedAt, o.UpdatedAt))
            .FirstOrDefaultAsync(cancellationToken);
}
