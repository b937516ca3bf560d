using Library.Catalog.Domain.Books;
using Library.SharedKernel.Domain;

namespace Library.Catalog.Domain.Borrowing;

public enum BorrowOperationStatus
{
    Reserved,
    Borrowed,
    Released,
    Returned,
}

/// <summary>The patron as Patron's eligibility answer described them when the borrow started (SPEC §3).</summary>
public sealed record BorrowerSnapshot(Guid PatronId, string Email, string MembershipTier, bool Suspended, int Version);

public sealed class BorrowerMustNotBeSuspended(bool suspended) : IBusinessRule
{
    public string Code => "patron.suspended";

    public string Message => "The patron is suspended and cannot borrow.";

    public ErrorKind Kind => ErrorKind.Forbidden;

    public bool IsBroken() => suspended;
}

public sealed record BorrowStarted(Guid OperationId, BookId BookId, string BookTitle, BorrowerSnapshot Borrower, DateTimeOffset OccurredAt) : IDomainEvent;

public sealed record BorrowConfirmed(Guid OperationId, BookId BookId, Guid LoanId, Guid PatronId, string PatronEmail, string BookTitle, DateTimeOffset OccurredAt) : IDomainEvent;

public sealed record BorrowReleased(Guid OperationId, BookId BookId, string Reason, DateTimeOffset OccurredAt) : IDomainEvent;

/// <summary>
/// The borrow saga as the client polls it: reserved, then borrowed (with the loan) or released (with a reason),
/// and finally returned. It always ends in borrowed, released or returned (SPEC §3); every step is guarded so a
/// replayed event changes nothing.
/// </summary>
public sealed class BorrowOperation : AggregateRoot<Guid>
{
    private BorrowOperation()
    {
        PatronEmail = null!;
        BookTitle = null!;
    }

    public BookId BookId { get; private set; }

    public Guid PatronId { get; private set; }

    public string PatronEmail { get; private set; }

    public string BookTitle { get; private set; }

    public BorrowOperationStatus Status { get; private set; }

    public Guid? LoanId { get; private set; }

    public string? FailureReason { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>Reserves the book for the borrower and starts the saga; the book's own rule refuses a taken book.</summary>
    public static BorrowOperation Start(Book book, BorrowerSnapshot borrower, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(book);
        ArgumentNullException.ThrowIfNull(borrower);
        CheckRule(new BorrowerMustNotBeSuspended(borrower.Suspended));
        var operation = new BorrowOperation
        {
            Id = Guid.CreateVersion7(),
            BookId = book.Id,
            PatronId = borrower.PatronId,
            PatronEmail = borrower.Email,
            BookTitle = book.Title,
            Status = BorrowOperationStatus.Reserved,
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
        };
        book.Reserve(operation.Id, now);
        operation.Raise(new BorrowStarted(operation.Id, book.Id, book.Title, borrower, now));
        return operation;
    }

    /// <summary>The loan exists: the book is borrowed. Returns false when the reservation was released meanwhile.</summary>
    public bool ConfirmBorrow(Book book, Guid loanId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(book);
        if (Status != BorrowOperationStatus.Reserved)
        {
            return false;
        }

        book.ConfirmBorrow(Id, now);
        Status = BorrowOperationStatus.Borrowed;
        LoanId = loanId;
        Touch(now);
        Raise(new BorrowConfirmed(Id, BookId, loanId, PatronId, PatronEmail, BookTitle, now));
        return true;
    }

    /// <summary>Ends a reservation without a loan (rejected or expired): the book goes back on the shelf.</summary>
    public bool Release(Book book, string reason, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(book);
        if (Status != BorrowOperationStatus.Reserved)
        {
            return false;
        }

        book.Release(Id, now);
        Status = BorrowOperationStatus.Released;
        FailureReason = reason;
        Touch(now);
        Raise(new BorrowReleased(Id, BookId, reason, now));
        return true;
    }

    /// <summary>The loan was returned: the book is available again and the operation is complete.</summary>
    public bool MarkReturned(Book book, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(book);
        if (Status != BorrowOperationStatus.Borrowed)
        {
            return false;
        }

        book.Return(Id, now);
        Status = BorrowOperationStatus.Returned;
        Touch(now);
        return true;
    }

    private void Touch(DateTimeOffset now)
    {
        UpdatedAt = now;
        Version++;
    }
}
