using Library.SharedKernel.Domain;

namespace Library.Catalog.Domain.Books;

/// <summary>A book can be reserved only while it is on the shelf.</summary>
public sealed class BookMustBeAvailable(BookStatus status) : IBusinessRule
{
    public string Code => "book.unavailable";

    public string Message => $"The book is {status.ToString().ToLowerInvariant()} and cannot be reserved.";

    public ErrorKind Kind => ErrorKind.Conflict;

    public bool IsBroken() => status != BookStatus.Available;
}

/// <summary>Only the borrow operation holding the reservation may turn it into a loan.</summary>
public sealed class BookMustBeReservedByOperation(BookStatus status, Guid? heldBy, Guid operationId) : IBusinessRule
{
    public string Code => "book.not_reserved";

    public string Message => "The book is not reserved by this borrow operation.";

    public ErrorKind Kind => ErrorKind.Conflict;

    public bool IsBroken() => status != BookStatus.Reserved || heldBy != operationId;
}

/// <summary>A reservation that already became a loan cannot be released; the loan must be returned.</summary>
public sealed class BorrowedBookCannotBeReleased(BookStatus status) : IBusinessRule
{
    public string Code => "book.already_borrowed";

    public string Message => "The book is already borrowed; return the loan instead of releasing the reservation.";

    public ErrorKind Kind => ErrorKind.Conflict;

    public bool IsBroken() => status == BookStatus.Borrowed;
}

/// <summary>Only the operation that borrowed the book returns it.</summary>
public sealed class BookMustBeBorrowedByOperation(BookStatus status, Guid? heldBy, Guid operationId) : IBusinessRule
{
    public string Code => "book.not_borrowed";

    public string Message => "The book is not borrowed by this borrow operation.";

    public ErrorKind Kind => ErrorKind.Conflict;

    public bool IsBroken() => status != BookStatus.Borrowed || heldBy != operationId;
}
