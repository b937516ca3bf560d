using Library.Lending.Domain.Loans;

namespace Library.Lending.Application.Loans;

/// <summary>A loan as the API shows it (SPEC §2 field list).</summary>
public sealed record LoanResponse(
    Guid Id,
    Guid PatronId,
    string PatronEmail,
    Guid BookId,
    string BookTitle,
    DateTimeOffset BorrowedAt,
    DateTimeOffset DueDate,
    DateTimeOffset? ReturnedAt,
    LoanStatus Status,
    int Extensions);

public sealed record LoanExtendedResponse(Guid Id, DateTimeOffset DueDate);

public sealed record LoanReturnedResponse(Guid Id, DateTimeOffset ReturnedAt, bool WasOverdue);
