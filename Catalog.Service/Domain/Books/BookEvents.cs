using Library.SharedKernel.Domain;

namespace Library.Catalog.Domain.Books;

public sealed record BookAdded(BookId BookId, string Title, string Author, string? Isbn, DateTimeOffset OccurredAt) : IDomainEvent;

public sealed record BookReserved(BookId BookId, Guid OperationId, DateTimeOffset OccurredAt) : IDomainEvent;

public sealed record BookBorrowed(BookId BookId, Guid OperationId, DateTimeOffset OccurredAt) : IDomainEvent;

public sealed record BookReleased(BookId BookId, Guid OperationId, DateTimeOffset OccurredAt) : IDomainEvent;

public sealed record BookReturned(BookId BookId, Guid OperationId, DateTimeOffset OccurredAt) : IDomainEvent;
