using Library.SharedKernel.Messaging;

namespace Library.SharedKernel.Contracts.Catalog;

/// <summary>The patron as Catalog's eligibility call saw them when it reserved the book (SPEC §3).</summary>
public sealed record PatronSnapshot(Guid PatronId, string Email, string MembershipTier, bool Suspended, int Version);

/// <summary>A book is held for a borrow operation; Lending decides whether it becomes a loan.</summary>
public sealed record BookReserved(Guid OperationId, Guid BookId, string BookTitle, PatronSnapshot Patron, DateTimeOffset ReservedAt) : IIntegrationEvent;

/// <summary>The loan Lending created is confirmed on the catalog side: the book is out.</summary>
public sealed record BookBorrowed(Guid OperationId, Guid BookId, Guid LoanId, Guid PatronId, string PatronEmail, string BookTitle, DateTimeOffset BorrowedAt) : IIntegrationEvent;

/// <summary>
/// The reservation ended without a loan on the catalog side: rejected by Lending, or expired (reaper). Lending
/// cancels any loan it created for the operation.
/// </summary>
public sealed record BookReservationReleased(Guid OperationId, Guid BookId, string Reason, DateTimeOffset ReleasedAt) : IIntegrationEvent;
