using Library.SharedKernel.Domain;

namespace Library.Catalog.Domain.Books;

/// <summary>
/// One physical copy. Its status is a lock: a reservation is held by exactly one borrow operation
/// (<see cref="HeldBy"/>), and every transition checks the holder, so a replayed or late event can
/// neither take the book from another operation nor apply twice.
/// </summary>
public sealed class Book : AggregateRoot<BookId>
{
    private Book()
    {
        Title = null!;
        Author = null!;
    }

    public string Title { get; private set; }

    public string Author { get; private set; }

    public string? Isbn { get; private set; }

    public BookStatus Status { get; private set; }

    /// <summary>The borrow operation that holds the reservation or the loan; null while available.</summary>
    public Guid? HeldBy { get; private set; }

    public DateTimeOffset AddedAt { get; private set; }

    public DateTimeOffset UpdatedAt { get; private set; }

    public static Book Add(BookTitle title, Author author, Isbn? isbn, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(author);
        var book = new Book
        {
            Id = BookId.New(),
            Title = title.Value,
            Author = author.Value,
            Isbn = isbn?.Value,
            Status = BookStatus.Available,
            AddedAt = now,
            UpdatedAt = now,
            Version = 1,
        };
        book.Raise(new BookAdded(book.Id, book.Title, book.Author, book.Isbn, now));
        return book;
    }

    /// <summary>Takes the book off the shelf for a borrow operation. Reserving again for the same operation is a no-op.</summary>
    public void Reserve(Guid operationId, DateTimeOffset now)
    {
        if (Status == BookStatus.Reserved && HeldBy == operationId)
        {
            return;
        }

        CheckRule(new BookMustBeAvailable(Status));
        Transition(BookStatus.Reserved, operationId, now);
        Raise(new BookReserved(Id, operationId, now));
    }

    /// <summary>The loan was created: the reservation becomes a borrow. Confirming twice is a no-op.</summary>
    public void ConfirmBorrow(Guid operationId, DateTimeOffset now)
    {
        if (Status == BookStatus.Borrowed && HeldBy == operationId)
        {
            return;
        }

        CheckRule(new BookMustBeReservedByOperation(Status, HeldBy, operationId));
        Transition(BookStatus.Borrowed, operationId, now);
        Raise(new BookBorrowed(Id, operationId, now));
    }

    /// <summary>
    /// Puts a reserved book back on the shelf (loan rejected or reservation expired). Returns false when
    /// there was nothing to release for this operation, which makes a replayed release harmless.
    /// </summary>
    public bool Release(Guid operationId, DateTimeOffset now)
    {
        if (HeldBy != operationId)
        {
            return false;
        }

        CheckRule(new BorrowedBookCannotBeReleased(Status));
        Transition(BookStatus.Available, null, now);
        Raise(new BookReleased(Id, operationId, now));
        return true;
    }

    /// <summary>
    /// The loan was returned: the book is available again. Returns false when this operation no longer holds
    /// the book (returned already, or since lent to someone else), so a late or replayed return is harmless.
    /// </summary>
    public bool Return(Guid operationId, DateTimeOffset now)
    {
        if (HeldBy != operationId)
        {
            return false;
        }

        CheckRule(new BookMustBeBorrowedByOperation(Status, HeldBy, operationId));
        Transition(BookStatus.Available, null, now);
        Raise(new BookReturned(Id, operationId, now));
        return true;
    }

    private void Transition(BookStatus status, Guid? heldBy, DateTimeOffset now)
    {
        Status = status;
        HeldBy = heldBy;
        UpdatedAt = now;
        Version++;
    }
}
