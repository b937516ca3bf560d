using Library.SharedKernel.Messaging;

namespace Library.SharedKernel.Contracts.Lending;

public sealed record LoanCreated(Guid LoanId, Guid OperationId, Guid BookId, Guid PatronId, DateTimeOffset BorrowedAt, DateTimeOffset DueDate) : IIntegrationEvent;

/// <summary>Lending refused the reservation; <c>Reason</c> is readable, <c>Code</c> is the stable rule code.</summary>
public sealed record LoanRejected(Guid OperationId, Guid BookId, Guid PatronId, string Code, string Reason) : IIntegrationEvent;

public sealed record LoanReturned(Guid LoanId, Guid OperationId, Guid BookId, Guid PatronId, DateTimeOffset ReturnedAt, bool WasOverdue) : IIntegrationEvent;

public sealed record LoanExtended(Guid LoanId, Guid PatronId, DateTimeOffset DueDate, int Extensions) : IIntegrationEvent;

public sealed record LoanOverdue(Guid LoanId, Guid BookId, Guid PatronId, DateTimeOffset DueDate) : IIntegrationEvent;

/// <summary>A loan created for a reservation that Catalog had already released (reaper) was cancelled.</summary>
public sealed record LoanCancelled(Guid LoanId, Guid OperationId, Guid BookId, Guid PatronId, string Reason) : IIntegrationEvent;
