using Library.SharedKernel.Domain;

namespace Library.Lending.Domain.Loans;

public sealed record LoanCreated(LoanId LoanId, Guid OperationId, Guid BookId, Guid PatronId, DateTimeOffset BorrowedAt, DateTimeOffset DueDate, DateTimeOffset OccurredAt) : IDomainEvent;

public sealed record LoanExtended(LoanId LoanId, Guid PatronId, DateTimeOffset DueDate, int Extensions, DateTimeOffset OccurredAt) : IDomainEvent;

public sealed record LoanReturned(LoanId LoanId, Guid OperationId, Guid BookId, Guid PatronId, DateTimeOffset ReturnedAt, bool WasOverdue, DateTimeOffset OccurredAt) : IDomainEvent;

public sealed record LoanBecameOverdue(LoanId LoanId, Guid BookId, Guid PatronId, DateTimeOffset DueDate, DateTimeOffset OccurredAt) : IDomainEvent;

public sealed record LoanCancelled(LoanId LoanId, Guid OperationId, Guid BookId, Guid PatronId, string Reason, DateTimeOffset OccurredAt) : IDomainEvent;
