using Library.Catalog.Domain.Books;
using Library.SharedKernel.Domain;

namespace Library.Catalog.Tests.Domain;

public sealed class BookTests
{
    private static readonly DateTimeOffset s_addedAt = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_later = s_addedAt.AddMinutes(5);
    private static readonly DateTimeOffset s_evenLater = s_addedAt.AddMinutes(10);

    private readonly Guid _operation = Guid.CreateVersion7();
    private readonly Guid _otherOperation = Guid.CreateVersion7();

    [Fact]
    public void Add_CreatesAnAvailableBookAtVersionOne()
    {
        var book = AddBook();

        book.Status.ShouldBe(BookStatus.Available);
        book.Version.ShouldBe(1);
        book.HeldBy.ShouldBeNull();
        book.AddedAt.ShouldBe(s_addedAt);
        book.UpdatedAt.ShouldBe(s_addedAt);
        book.Id.Value.Version.ShouldBe(7);
    }

    [Fact]
    public void Add_RaisesBookAdded()
    {
        var book = AddBook();

        book.DomainEvents.ShouldHaveSingleItem()
            .ShouldBe(new BookAdded(book.Id, "Dune", "Frank Herbert", "9780441172719", s_addedAt));
    }

    [Fact]
    public void Add_KeepsTheNormalisedTitleAuthorAndIsbn()
    {
        var book = Book.Add(
            BookTitle.Create("  Dune \t  Messiah ").Value,
            Author.Create("Frank\n Herbert").Value,
            Isbn.Create("978-0-441-17271-9").Value,
            s_addedAt);

        book.Title.ShouldBe("Dune Messiah");
        book.Author.ShouldBe("Frank Herbert");
        book.Isbn.ShouldBe("9780441172719");
    }

    [Fact]
    public void Add_WithoutIsbn_HasNoIsbn()
    {
        var book = Book.Add(BookTitle.Create("Dune").Value, Author.Create("Frank Herbert").Value, null, s_addedAt);

        book.Isbn.ShouldBeNull();
        book.DomainEvents.ShouldHaveSingleItem().ShouldBeOfType<BookAdded>().Isbn.ShouldBeNull();
    }

    [Fact]
    public void Add_GivesEachBookItsOwnId()
        => AddBook().Id.ShouldNotBe(AddBook().Id);

    [Fact]
    public void Reserve_WhenBookIsAvailable_ReservesItForTheOperation()
    {
        var book = AvailableBook();

        book.Reserve(_operation, s_later);

        book.Status.ShouldBe(BookStatus.Reserved);
        book.HeldBy.ShouldBe(_operation);
        book.Version.ShouldBe(2);
        book.UpdatedAt.ShouldBe(s_later);
        book.AddedAt.ShouldBe(s_addedAt);
        book.DomainEvents.ShouldHaveSingleItem().ShouldBe(new BookReserved(book.Id, _operation, s_later));
    }

    [Fact]
    public void Reserve_AgainForTheSameOperation_IsANoOpWithoutANewEvent()
    {
        var book = ReservedBook(_operation);

        book.Reserve(_operation, s_evenLater);

        book.Status.ShouldBe(BookStatus.Reserved);
        book.HeldBy.ShouldBe(_operation);
        book.Version.ShouldBe(2);
        book.UpdatedAt.ShouldBe(s_later);
        book.DomainEvents.ShouldBeEmpty();
    }

    [Fact]
    public void Reserve_WhenBookIsReservedByAnotherOperation_FailsWithBookUnavailable()
    {
        var book = ReservedBook(_otherOperation);
        var before = Snapshot.Of(book);

        ShouldBreakRule(() => book.Reserve(_operation, s_evenLater), "book.unavailable");

        Snapshot.Of(book).ShouldBe(before);
    }

    [Fact]
    public void Reserve_WhenBookIsBorrowed_FailsWithBookUnavailable()
    {
        var book = BorrowedBook(_otherOperation);
        var before = Snapshot.Of(book);

        ShouldBreakRule(() => book.Reserve(_operation, s_evenLater), "book.unavailable");

        Snapshot.Of(book).ShouldBe(before);
    }

    [Fact]
    public void ConfirmBorrow_WhenReservedByTheOperation_BorrowsTheBook()
    {
        var book = ReservedBook(_operation);

        book.ConfirmBorrow(_operation, s_evenLater);

        book.Status.ShouldBe(BookStatus.Borrowed);
        book.HeldBy.ShouldBe(_operation);
        book.Version.ShouldBe(3);
        book.UpdatedAt.ShouldBe(s_evenLater);
        book.DomainEvents.ShouldHaveSingleItem().ShouldBe(new BookBorrowed(book.Id, _operation, s_evenLater));
    }

    [Fact]
    public void ConfirmBorrow_AgainForTheSameOperation_IsANoOpWithoutANewEvent()
    {
        var book = BorrowedBook(_operation);
        var before = Snapshot.Of(book);

        book.ConfirmBorrow(_operation, s_evenLater.AddMinutes(1));

        Snapshot.Of(book).ShouldBe(before);
        book.DomainEvents.ShouldBeEmpty();
    }

    [Fact]
    public void ConfirmBorrow_WhenReservedByAnotherOperation_FailsWithBookNotReserved()
    {
        var book = ReservedBook(_otherOperation);
        var before = Snapshot.Of(book);

        ShouldBreakRule(() => book.ConfirmBorrow(_operation, s_evenLater), "book.not_reserved");

        Snapshot.Of(book).ShouldBe(before);
    }

    [Fact]
    public void ConfirmBorrow_WhenBookIsAvailable_FailsWithBookNotReserved()
    {
        var book = AvailableBook();
        var before = Snapshot.Of(book);

        ShouldBreakRule(() => book.ConfirmBorrow(_operation, s_later), "book.not_reserved");

        Snapshot.Of(book).ShouldBe(before);
    }

    [Fact]
    public void ConfirmBorrow_WhenBorrowedByAnotherOperation_FailsWithBookNotReserved()
    {
        var book = BorrowedBook(_otherOperation);
        var before = Snapshot.Of(book);

        ShouldBreakRule(() => book.ConfirmBorrow(_operation, s_evenLater), "book.not_reserved");

        Snapshot.Of(book).ShouldBe(before);
    }

    [Fact]
    public void Release_WhenReservedByTheOperation_PutsTheBookBackOnTheShelf()
    {
        var book = ReservedBook(_operation);

        book.Release(_operation, s_evenLater).ShouldBeTrue();

        book.Status.ShouldBe(BookStatus.Available);
        book.HeldBy.ShouldBeNull();
        book.Version.ShouldBe(3);
        book.UpdatedAt.ShouldBe(s_evenLater);
        book.DomainEvents.ShouldHaveSingleItem().ShouldBe(new BookReleased(book.Id, _operation, s_evenLater));
    }

    [Fact]
    public void Release_ByAnotherOperation_ReturnsFalseAndChangesNothing()
    {
        var book = ReservedBook(_otherOperation);
        var before = Snapshot.Of(book);

        book.Release(_operation, s_evenLater).ShouldBeFalse();

        Snapshot.Of(book).ShouldBe(before);
        book.DomainEvents.ShouldBeEmpty();
    }

    [Fact]
    public void Release_WhenBookIsAvailable_ReturnsFalseAndChangesNothing()
    {
        var book = AvailableBook();
        var before = Snapshot.Of(book);

        book.Release(_operation, s_later).ShouldBeFalse();

        Snapshot.Of(book).ShouldBe(before);
        book.DomainEvents.ShouldBeEmpty();
    }

    [Fact]
    public void Release_ReplayedAfterTheReleaseSucceeded_ReturnsFalseAndChangesNothing()
    {
        var book = ReservedBook(_operation);
        book.Release(_operation, s_evenLater).ShouldBeTrue();
        book.ClearDomainEvents();
        var before = Snapshot.Of(book);

        book.Release(_operation, s_evenLater.AddMinutes(1)).ShouldBeFalse();

        Snapshot.Of(book).ShouldBe(before);
        book.DomainEvents.ShouldBeEmpty();
    }

    [Fact]
    public void Release_WhenBorrowedByTheSameOperation_FailsWithBookAlreadyBorrowed()
    {
        var book = BorrowedBook(_operation);
        var before = Snapshot.Of(book);

        ShouldBreakRule(() => book.Release(_operation, s_evenLater.AddMinutes(1)), "book.already_borrowed");

        Snapshot.Of(book).ShouldBe(before);
    }

    [Fact]
    public void Release_WhenBorrowedByAnotherOperation_ReturnsFalseAndChangesNothing()
    {
        var book = BorrowedBook(_otherOperation);
        var before = Snapshot.Of(book);

        book.Release(_operation, s_evenLater.AddMinutes(1)).ShouldBeFalse();

        Snapshot.Of(book).ShouldBe(before);
        book.DomainEvents.ShouldBeEmpty();
    }

    [Fact]
    public void Return_WhenBorrowedByTheOperation_MakesTheBookAvailable()
    {
        var book = BorrowedBook(_operation);
        var returnedAt = s_evenLater.AddDays(14);

        book.Return(_operation, returnedAt);

        book.Status.ShouldBe(BookStatus.Available);
        book.HeldBy.ShouldBeNull();
        book.Version.ShouldBe(4);
        book.UpdatedAt.ShouldBe(returnedAt);
        book.DomainEvents.ShouldHaveSingleItem().ShouldBe(new BookReturned(book.Id, _operation, returnedAt));
    }

    [Fact]
    public void Return_WhenBookIsAvailable_IsANoOp()
    {
        var book = AvailableBook();
        var before = Snapshot.Of(book);

        book.Return(_operation, s_later);

        Snapshot.Of(book).ShouldBe(before);
        book.DomainEvents.ShouldBeEmpty();
    }

    [Fact]
    public void Return_ReplayedAfterTheReturnSucceeded_IsANoOp()
    {
        var book = BorrowedBook(_operation);
        book.Return(_operation, s_evenLater.AddDays(1));
        book.ClearDomainEvents();
        var before = Snapshot.Of(book);

        book.Return(_operation, s_evenLater.AddDays(2));

        Snapshot.Of(book).ShouldBe(before);
        book.DomainEvents.ShouldBeEmpty();
    }

    [Fact]
    public void Return_WhenBorrowedByAnotherOperation_ReturnsFalseAndChangesNothing()
    {
        var book = BorrowedBook(_otherOperation);
        var before = Snapshot.Of(book);

        book.Return(_operation, s_evenLater.AddDays(1)).ShouldBeFalse();

        Snapshot.Of(book).ShouldBe(before);
        book.DomainEvents.ShouldBeEmpty();
    }

    [Fact]
    public void Return_WhenBookIsOnlyReserved_FailsWithBookNotBorrowed()
    {
        var book = ReservedBook(_operation);
        var before = Snapshot.Of(book);

        ShouldBreakRule(() => book.Return(_operation, s_evenLater), "book.not_borrowed");

        Snapshot.Of(book).ShouldBe(before);
    }

    [Fact]
    public void Reserve_AfterTheBookWasReturned_ReservesItForTheNextOperation()
    {
        var book = BorrowedBook(_operation);
        book.Return(_operation, s_evenLater.AddDays(1));
        book.ClearDomainEvents();
        var reservedAgainAt = s_evenLater.AddDays(2);

        book.Reserve(_otherOperation, reservedAgainAt);

        book.Status.ShouldBe(BookStatus.Reserved);
        book.HeldBy.ShouldBe(_otherOperation);
        book.Version.ShouldBe(5);
        book.DomainEvents.ShouldHaveSingleItem().ShouldBe(new BookReserved(book.Id, _otherOperation, reservedAgainAt));
    }

    [Fact]
    public void Reserve_AfterTheReservationWasReleased_ReservesItForTheNextOperation()
    {
        var book = ReservedBook(_operation);
        book.Release(_operation, s_evenLater).ShouldBeTrue();

        book.Reserve(_otherOperation, s_evenLater.AddMinutes(1));

        book.Status.ShouldBe(BookStatus.Reserved);
        book.HeldBy.ShouldBe(_otherOperation);
        book.Version.ShouldBe(4);
    }

    [Fact]
    public void FullLifecycle_RaisesOneEventPerTransitionInOrder()
    {
        var book = AddBook();

        book.Reserve(_operation, s_later);
        book.ConfirmBorrow(_operation, s_evenLater);
        book.Return(_operation, s_evenLater.AddDays(1));

        book.DomainEvents.Select(e => e.GetType()).ShouldBe(
            [typeof(BookAdded), typeof(BookReserved), typeof(BookBorrowed), typeof(BookReturned)]);
        book.Version.ShouldBe(4);
    }

    private static Book AddBook()
        => Book.Add(
            BookTitle.Create("Dune").Value,
            Author.Create("Frank Herbert").Value,
            Isbn.Create("978-0-441-17271-9").Value,
            s_addedAt);

    private static Book AvailableBook()
    {
        var book = AddBook();
        book.ClearDomainEvents();
        return book;
    }

    private static Book ReservedBook(Guid operation)
    {
        var book = AvailableBook();
        book.Reserve(operation, s_later);
        book.ClearDomainEvents();
        return book;
    }

    private static Book BorrowedBook(Guid operation)
    {
        var book = ReservedBook(operation);
        book.ConfirmBorrow(operation, s_evenLater);
        book.ClearDomainEvents();
        return book;
    }

    private static void ShouldBreakRule(Action transition, string code)
    {
        var exception = Should.Throw<BusinessRuleViolationException>(transition);
        exception.Rule.Code.ShouldBe(code);
        exception.Rule.Kind.ShouldBe(ErrorKind.Conflict);
    }

    /// <summary>Everything a transition may change, so a refused or replayed transition can be shown to change nothing.</summary>
    private sealed record Snapshot(BookStatus Status, Guid? HeldBy, int Version, DateTimeOffset UpdatedAt, int EventCount)
    {
        public static Snapshot Of(Book book) => new(book.Status, book.HeldBy, book.Version, book.UpdatedAt, book.DomainEvents.Count);
    }
}
