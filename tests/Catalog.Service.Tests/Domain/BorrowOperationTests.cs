using Library.Catalog.Domain.Books;
using Library.Catalog.Domain.Borrowing;
using Library.SharedKernel.Domain;

namespace Library.Catalog.Tests.Domain;

public sealed class BorrowOperationTests
{
    private static readonly DateTimeOffset s_addedAt = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_startedAt = s_addedAt.AddMinutes(5);
    private static readonly DateTimeOffset s_decidedAt = s_addedAt.AddMinutes(6);
    private static readonly DateTimeOffset s_returnedAt = s_addedAt.AddDays(10);

    private readonly BorrowerSnapshot _borrower = new(Guid.CreateVersion7(), "ada@example.com", "premium", Suspended: false, Version: 3);
    private readonly BorrowerSnapshot _otherBorrower = new(Guid.CreateVersion7(), "grace@example.com", "regular", Suspended: false, Version: 1);
    private readonly Guid _loanId = Guid.CreateVersion7();

    [Fact]
    public void Start_ForAnEligibleBorrower_RecordsAReservedOperation()
    {
        var book = AvailableBook();

        var operation = BorrowOperation.Start(book, _borrower, s_startedAt);

        operation.Status.ShouldBe(BorrowOperationStatus.Reserved);
        operation.BookId.ShouldBe(book.Id);
        operation.PatronId.ShouldBe(_borrower.PatronId);
        operation.PatronEmail.ShouldBe("ada@example.com");
        operation.BookTitle.ShouldBe("Dune");
        operation.LoanId.ShouldBeNull();
        operation.FailureReason.ShouldBeNull();
        operation.CreatedAt.ShouldBe(s_startedAt);
        operation.UpdatedAt.ShouldBe(s_startedAt);
        operation.Version.ShouldBe(1);
        operation.Id.Version.ShouldBe(7);
    }

    [Fact]
    public void Start_ReservesTheBookForTheOperation()
    {
        var book = AvailableBook();

        var operation = BorrowOperation.Start(book, _borrower, s_startedAt);

        book.Status.ShouldBe(BookStatus.Reserved);
        book.HeldBy.ShouldBe(operation.Id);
        book.UpdatedAt.ShouldBe(s_startedAt);
        book.DomainEvents.ShouldHaveSingleItem().ShouldBe(new BookReserved(book.Id, operation.Id, s_startedAt));
    }

    [Fact]
    public void Start_RaisesBorrowStartedWithTheBorrowerSnapshotAndBookTitle()
    {
        var book = AvailableBook();

        var operation = BorrowOperation.Start(book, _borrower, s_startedAt);

        operation.DomainEvents.ShouldHaveSingleItem().ShouldBe(
            new BorrowStarted(operation.Id, book.Id, "Dune", new BorrowerSnapshot(_borrower.PatronId, "ada@example.com", "premium", false, 3), s_startedAt));
    }

    [Fact]
    public void Start_GivesEachOperationItsOwnId()
    {
        var first = BorrowOperation.Start(AvailableBook(), _borrower, s_startedAt);
        var second = BorrowOperation.Start(AvailableBook(), _borrower, s_startedAt);

        first.Id.ShouldNotBe(second.Id);
    }

    [Fact]
    public void Start_WhenBorrowerIsSuspended_FailsWithPatronSuspendedAndLeavesTheBookAvailable()
    {
        var book = AvailableBook();
        var before = BookSnapshot.Of(book);

        var exception = Should.Throw<BusinessRuleViolationException>(
            () => BorrowOperation.Start(book, _borrower with { Suspended = true }, s_startedAt));

        exception.Rule.Code.ShouldBe("patron.suspended");
        exception.Rule.Kind.ShouldBe(ErrorKind.Forbidden);
        BookSnapshot.Of(book).ShouldBe(before);
        book.Status.ShouldBe(BookStatus.Available);
    }

    [Fact]
    public void Start_WhenBookIsReservedByAnotherOperation_FailsWithBookUnavailable()
    {
        var book = AvailableBook();
        var other = BorrowOperation.Start(book, _otherBorrower, s_startedAt);
        book.ClearDomainEvents();
        var before = BookSnapshot.Of(book);

        ShouldBreakBookUnavailable(() => BorrowOperation.Start(book, _borrower, s_decidedAt));

        BookSnapshot.Of(book).ShouldBe(before);
        book.HeldBy.ShouldBe(other.Id);
    }

    [Fact]
    public void Start_WhenBookIsBorrowed_FailsWithBookUnavailable()
    {
        var book = AvailableBook();
        var other = BorrowOperation.Start(book, _otherBorrower, s_startedAt);
        other.ConfirmBorrow(book, Guid.CreateVersion7(), s_decidedAt).ShouldBeTrue();
        book.ClearDomainEvents();
        var before = BookSnapshot.Of(book);

        ShouldBreakBookUnavailable(() => BorrowOperation.Start(book, _borrower, s_decidedAt.AddMinutes(1)));

        BookSnapshot.Of(book).ShouldBe(before);
        book.Status.ShouldBe(BookStatus.Borrowed);
        book.HeldBy.ShouldBe(other.Id);
    }

    [Fact]
    public void ConfirmBorrow_WhenReserved_BorrowsTheBookUnderTheLoan()
    {
        var (book, operation) = Reserved();

        operation.ConfirmBorrow(book, _loanId, s_decidedAt).ShouldBeTrue();

        operation.Status.ShouldBe(BorrowOperationStatus.Borrowed);
        operation.LoanId.ShouldBe(_loanId);
        operation.FailureReason.ShouldBeNull();
        operation.UpdatedAt.ShouldBe(s_decidedAt);
        operation.CreatedAt.ShouldBe(s_startedAt);
        operation.Version.ShouldBe(2);
        book.Status.ShouldBe(BookStatus.Borrowed);
        book.HeldBy.ShouldBe(operation.Id);
        book.DomainEvents.ShouldHaveSingleItem().ShouldBe(new BookBorrowed(book.Id, operation.Id, s_decidedAt));
    }

    [Fact]
    public void ConfirmBorrow_RaisesBorrowConfirmedWithTheLoanPatronAndTitle()
    {
        var (book, operation) = Reserved();

        operation.ConfirmBorrow(book, _loanId, s_decidedAt);

        operation.DomainEvents.ShouldHaveSingleItem().ShouldBe(
            new BorrowConfirmed(operation.Id, book.Id, _loanId, _borrower.PatronId, "ada@example.com", "Dune", s_decidedAt));
    }

    [Fact]
    public void ConfirmBorrow_Replayed_ReturnsFalseAndChangesNothing()
    {
        var (book, operation) = Borrowed();
        var before = OperationSnapshot.Of(operation);
        var bookBefore = BookSnapshot.Of(book);

        operation.ConfirmBorrow(book, Guid.CreateVersion7(), s_decidedAt.AddMinutes(1)).ShouldBeFalse();

        OperationSnapshot.Of(operation).ShouldBe(before);
        BookSnapshot.Of(book).ShouldBe(bookBefore);
        operation.LoanId.ShouldBe(_loanId);
    }

    [Fact]
    public void ConfirmBorrow_AfterRelease_ReturnsFalseAndLeavesTheBookAvailable()
    {
        var (book, operation) = Released();
        var before = OperationSnapshot.Of(operation);
        var bookBefore = BookSnapshot.Of(book);

        operation.ConfirmBorrow(book, _loanId, s_decidedAt.AddMinutes(1)).ShouldBeFalse();

        OperationSnapshot.Of(operation).ShouldBe(before);
        BookSnapshot.Of(book).ShouldBe(bookBefore);
        operation.Status.ShouldBe(BorrowOperationStatus.Released);
        operation.LoanId.ShouldBeNull();
        book.Status.ShouldBe(BookStatus.Available);
    }

    [Fact]
    public void ConfirmBorrow_AfterReleaseWhenTheBookWasReservedAgain_LeavesTheNewReservationAlone()
    {
        var (book, operation) = Released();
        var next = BorrowOperation.Start(book, _otherBorrower, s_decidedAt.AddMinutes(1));
        book.ClearDomainEvents();
        var bookBefore = BookSnapshot.Of(book);

        operation.ConfirmBorrow(book, _loanId, s_decidedAt.AddMinutes(2)).ShouldBeFalse();

        BookSnapshot.Of(book).ShouldBe(bookBefore);
        book.Status.ShouldBe(BookStatus.Reserved);
        book.HeldBy.ShouldBe(next.Id);
        operation.Status.ShouldBe(BorrowOperationStatus.Released);
    }

    [Fact]
    public void ConfirmBorrow_AfterReturn_ReturnsFalseAndChangesNothing()
    {
        var (book, operation) = Returned();
        var before = OperationSnapshot.Of(operation);
        var bookBefore = BookSnapshot.Of(book);

        operation.ConfirmBorrow(book, Guid.CreateVersion7(), s_returnedAt.AddMinutes(1)).ShouldBeFalse();

        OperationSnapshot.Of(operation).ShouldBe(before);
        BookSnapshot.Of(book).ShouldBe(bookBefore);
    }

    [Fact]
    public void Release_WhenReserved_KeepsTheReasonAndPutsTheBookBack()
    {
        var (book, operation) = Reserved();

        operation.Release(book, "borrowing limit of 5 reached", s_decidedAt).ShouldBeTrue();

        operation.Status.ShouldBe(BorrowOperationStatus.Released);
        operation.FailureReason.ShouldBe("borrowing limit of 5 reached");
        operation.LoanId.ShouldBeNull();
        operation.UpdatedAt.ShouldBe(s_decidedAt);
        operation.Version.ShouldBe(2);
        book.Status.ShouldBe(BookStatus.Available);
        book.HeldBy.ShouldBeNull();
        book.DomainEvents.ShouldHaveSingleItem().ShouldBe(new BookReleased(book.Id, operation.Id, s_decidedAt));
    }

    [Fact]
    public void Release_RaisesBorrowReleasedWithTheReason()
    {
        var (book, operation) = Reserved();

        operation.Release(book, "reservation expired", s_decidedAt);

        operation.DomainEvents.ShouldHaveSingleItem().ShouldBe(new BorrowReleased(operation.Id, book.Id, "reservation expired", s_decidedAt));
    }

    [Fact]
    public void Release_Replayed_ReturnsFalseAndKeepsTheFirstReason()
    {
        var (book, operation) = Released();
        var before = OperationSnapshot.Of(operation);
        var bookBefore = BookSnapshot.Of(book);

        operation.Release(book, "reservation expired", s_decidedAt.AddMinutes(1)).ShouldBeFalse();

        OperationSnapshot.Of(operation).ShouldBe(before);
        BookSnapshot.Of(book).ShouldBe(bookBefore);
        operation.FailureReason.ShouldBe("borrowing limit of 5 reached");
    }

    [Fact]
    public void Release_WhenBorrowed_ReturnsFalseAndKeepsTheBookBorrowed()
    {
        var (book, operation) = Borrowed();
        var before = OperationSnapshot.Of(operation);
        var bookBefore = BookSnapshot.Of(book);

        operation.Release(book, "reservation expired", s_decidedAt.AddMinutes(1)).ShouldBeFalse();

        OperationSnapshot.Of(operation).ShouldBe(before);
        BookSnapshot.Of(book).ShouldBe(bookBefore);
        operation.FailureReason.ShouldBeNull();
        book.Status.ShouldBe(BookStatus.Borrowed);
    }

    [Fact]
    public void Release_WhenReturned_ReturnsFalseAndChangesNothing()
    {
        var (book, operation) = Returned();
        var before = OperationSnapshot.Of(operation);
        var bookBefore = BookSnapshot.Of(book);

        operation.Release(book, "reservation expired", s_returnedAt.AddMinutes(1)).ShouldBeFalse();

        OperationSnapshot.Of(operation).ShouldBe(before);
        BookSnapshot.Of(book).ShouldBe(bookBefore);
        operation.FailureReason.ShouldBeNull();
    }

    [Fact]
    public void MarkReturned_WhenBorrowed_CompletesTheOperationAndMakesTheBookAvailable()
    {
        var (book, operation) = Borrowed();

        operation.MarkReturned(book, s_returnedAt).ShouldBeTrue();

        operation.Status.ShouldBe(BorrowOperationStatus.Returned);
        operation.LoanId.ShouldBe(_loanId);
        operation.UpdatedAt.ShouldBe(s_returnedAt);
        operation.Version.ShouldBe(3);
        book.Status.ShouldBe(BookStatus.Available);
        book.HeldBy.ShouldBeNull();
        book.DomainEvents.ShouldHaveSingleItem().ShouldBe(new BookReturned(book.Id, operation.Id, s_returnedAt));
    }

    [Fact]
    public void MarkReturned_WhenOnlyReserved_ReturnsFalseAndKeepsTheReservation()
    {
        var (book, operation) = Reserved();
        var before = OperationSnapshot.Of(operation);
        var bookBefore = BookSnapshot.Of(book);

        operation.MarkReturned(book, s_returnedAt).ShouldBeFalse();

        OperationSnapshot.Of(operation).ShouldBe(before);
        BookSnapshot.Of(book).ShouldBe(bookBefore);
        book.Status.ShouldBe(BookStatus.Reserved);
        book.HeldBy.ShouldBe(operation.Id);
    }

    [Fact]
    public void MarkReturned_WhenReleased_ReturnsFalseAndChangesNothing()
    {
        var (book, operation) = Released();
        var before = OperationSnapshot.Of(operation);
        var bookBefore = BookSnapshot.Of(book);

        operation.MarkReturned(book, s_returnedAt).ShouldBeFalse();

        OperationSnapshot.Of(operation).ShouldBe(before);
        BookSnapshot.Of(book).ShouldBe(bookBefore);
        operation.Status.ShouldBe(BorrowOperationStatus.Released);
    }

    [Fact]
    public void MarkReturned_Replayed_ReturnsFalseAndChangesNothing()
    {
        var (book, operation) = Returned();
        var before = OperationSnapshot.Of(operation);
        var bookBefore = BookSnapshot.Of(book);

        operation.MarkReturned(book, s_returnedAt.AddDays(1)).ShouldBeFalse();

        OperationSnapshot.Of(operation).ShouldBe(before);
        BookSnapshot.Of(book).ShouldBe(bookBefore);
    }

    [Fact]
    public void MarkReturned_Replayed_AfterTheBookWasLentAgain_LeavesTheNewBorrowAlone()
    {
        var (book, operation) = Returned();
        var next = BorrowOperation.Start(book, _otherBorrower, s_returnedAt.AddMinutes(1));
        next.ConfirmBorrow(book, Guid.CreateVersion7(), s_returnedAt.AddMinutes(2)).ShouldBeTrue();
        book.ClearDomainEvents();
        var bookBefore = BookSnapshot.Of(book);

        operation.MarkReturned(book, s_returnedAt.AddDays(1)).ShouldBeFalse();

        BookSnapshot.Of(book).ShouldBe(bookBefore);
        book.Status.ShouldBe(BookStatus.Borrowed);
        book.HeldBy.ShouldBe(next.Id);
    }

    [Fact]
    public void FullSaga_GoesFromReservedToBorrowedToReturned()
    {
        var book = AvailableBook();
        var operationStatuses = new List<BorrowOperationStatus>();
        var bookStatuses = new List<BookStatus>();

        var operation = BorrowOperation.Start(book, _borrower, s_startedAt);
        Record();
        operation.ConfirmBorrow(book, _loanId, s_decidedAt).ShouldBeTrue();
        Record();
        operation.MarkReturned(book, s_returnedAt).ShouldBeTrue();
        Record();

        operationStatuses.ShouldBe([BorrowOperationStatus.Reserved, BorrowOperationStatus.Borrowed, BorrowOperationStatus.Returned]);
        bookStatuses.ShouldBe([BookStatus.Reserved, BookStatus.Borrowed, BookStatus.Available]);
        operation.DomainEvents.Select(e => e.GetType()).ShouldBe([typeof(BorrowStarted), typeof(BorrowConfirmed)]);
        book.DomainEvents.Select(e => e.GetType()).ShouldBe([typeof(BookReserved), typeof(BookBorrowed), typeof(BookReturned)]);
        operation.Version.ShouldBe(3);

        void Record()
        {
            operationStatuses.Add(operation.Status);
            bookStatuses.Add(book.Status);
        }
    }

    [Fact]
    public void RejectedSaga_GoesFromReservedToReleasedAndTheBookCanBeBorrowedAgain()
    {
        var book = AvailableBook();

        var operation = BorrowOperation.Start(book, _borrower, s_startedAt);
        operation.Release(book, "borrowing limit of 10 reached", s_decidedAt).ShouldBeTrue();
        var next = BorrowOperation.Start(book, _otherBorrower, s_decidedAt.AddMinutes(1));

        operation.Status.ShouldBe(BorrowOperationStatus.Released);
        operation.DomainEvents.Select(e => e.GetType()).ShouldBe([typeof(BorrowStarted), typeof(BorrowReleased)]);
        next.Status.ShouldBe(BorrowOperationStatus.Reserved);
        book.Status.ShouldBe(BookStatus.Reserved);
        book.HeldBy.ShouldBe(next.Id);
    }

    private static Book AvailableBook()
    {
        var book = Book.Add(BookTitle.Create("Dune").Value, Author.Create("Frank Herbert").Value, null, s_addedAt);
        book.ClearDomainEvents();
        return book;
    }

    private (Book Book, BorrowOperation Operation) Reserved()
    {
        var book = AvailableBook();
        var operation = BorrowOperation.Start(book, _borrower, s_startedAt);
        book.ClearDomainEvents();
        operation.ClearDomainEvents();
        return (book, operation);
    }

    private (Book Book, BorrowOperation Operation) Borrowed()
    {
        var (book, operation) = Reserved();
        operation.ConfirmBorrow(book, _loanId, s_decidedAt).ShouldBeTrue();
        book.ClearDomainEvents();
        operation.ClearDomainEvents();
        return (book, operation);
    }

    private (Book Book, BorrowOperation Operation) Released()
    {
        var (book, operation) = Reserved();
        operation.Release(book, "borrowing limit of 5 reached", s_decidedAt).ShouldBeTrue();
        book.ClearDomainEvents();
        operation.ClearDomainEvents();
        return (book, operation);
    }

    private (Book Book, BorrowOperation Operation) Returned()
    {
        var (book, operation) = Borrowed();
        operation.MarkReturned(book, s_returnedAt).ShouldBeTrue();
        book.ClearDomainEvents();
        operation.ClearDomainEvents();
        return (book, operation);
    }

    private static void ShouldBreakBookUnavailable(Action start)
    {
        var exception = Should.Throw<BusinessRuleViolationException>(start);
        exception.Rule.Code.ShouldBe("book.unavailable");
        exception.Rule.Kind.ShouldBe(ErrorKind.Conflict);
    }

    /// <summary>Everything an operation's transition may change, so a refused or replayed one can be shown to change nothing.</summary>
    private sealed record OperationSnapshot(
        BorrowOperationStatus Status,
        Guid? LoanId,
        string? FailureReason,
        DateTimeOffset UpdatedAt,
        int Version,
        int EventCount)
    {
        public static OperationSnapshot Of(BorrowOperation operation)
            => new(operation.Status, operation.LoanId, operation.FailureReason, operation.UpdatedAt, operation.Version, operation.DomainEvents.Count);
    }

    private sealed record BookSnapshot(BookStatus Status, Guid? HeldBy, int Version, DateTimeOffset UpdatedAt, int EventCount)
    {
        public static BookSnapshot Of(Book book) => new(book.Status, book.HeldBy, book.Version, book.UpdatedAt, book.DomainEvents.Count);
    }
}
