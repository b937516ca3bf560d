using Library.Lending.Domain.Borrowers;
using Library.Lending.Domain.Loans;
using Library.SharedKernel.Domain;

namespace Library.Lending.Tests.Domain;

/// <summary>Borrowers and loans in a known state, with their events cleared, for the loan tests.</summary>
internal static class Given
{
    public static readonly DateTimeOffset BorrowedAt = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    /// <summary>The due date of a loan lent at <see cref="BorrowedAt"/> to a regular borrower (14 days).</summary>
    public static readonly DateTimeOffset RegularDueDate = BorrowedAt.AddDays(14);

    public static readonly Guid PatronId = Guid.CreateVersion7();

    public static Borrower Borrower(string tier = "regular", bool suspended = false, int version = 1)
        => Library.Lending.Domain.Borrowers.Borrower.From(PatronId, "ada@example.com", tier, suspended, version);

    public static Loan Lend(Borrower? borrower = null, int outstandingLoans = 0, LendingPolicy? policy = null)
        => Loan.Lend(Guid.CreateVersion7(), Guid.CreateVersion7(), "Dune", borrower ?? Borrower(), outstandingLoans, policy ?? LendingPolicy.Default, BorrowedAt);

    /// <summary>A regular borrower's loan, active and due at <see cref="RegularDueDate"/>.</summary>
    public static Loan ActiveLoan()
    {
        var loan = Lend();
        loan.ClearDomainEvents();
        return loan;
    }

    public static Loan OverdueLoan()
    {
        var loan = ActiveLoan();
        loan.MarkOverdue(RegularDueDate.AddDays(1)).ShouldBeTrue();
        loan.ClearDomainEvents();
        return loan;
    }

    public static Loan ReturnedLoan()
    {
        var loan = ActiveLoan();
        loan.Return(BorrowedAt.AddDays(3));
        loan.ClearDomainEvents();
        return loan;
    }

    public static Loan CancelledLoan()
    {
        var loan = ActiveLoan();
        loan.Cancel("reservation expired", BorrowedAt.AddMinutes(6)).ShouldBeTrue();
        loan.ClearDomainEvents();
        return loan;
    }

    public static Loan LoanIn(LoanStatus status) => status switch
    {
        LoanStatus.Active => ActiveLoan(),
        LoanStatus.Overdue => OverdueLoan(),
        LoanStatus.Returned => ReturnedLoan(),
        LoanStatus.Cancelled => CancelledLoan(),
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static LendingPolicy PolicyWithMaxExtensions(int maxExtensions)
        => new(
            new Dictionary<string, TierPolicy>(StringComparer.OrdinalIgnoreCase) { ["regular"] = new(5, 14) },
            maxExtensions);

    /// <summary>Asserts that the action breaks the rule with this code and kind, and returns the rule for more checks.</summary>
    public static IBusinessRule ShouldBreakRule(Action action, string code, ErrorKind kind)
    {
        var exception = Should.Throw<BusinessRuleViolationException>(action);
        exception.Rule.Code.ShouldBe(code);
        exception.Rule.Kind.ShouldBe(kind);
        exception.Message.ShouldBe(exception.Rule.Message);
        return exception.Rule;
    }
}

/// <summary>Everything a loan transition may change, so a refused or replayed transition can be shown to change nothing.</summary>
internal sealed record LoanSnapshot(
    LoanStatus Status,
    DateTimeOffset DueDate,
    DateTimeOffset? ReturnedAt,
    bool? WasOverdue,
    int Extensions,
    int Version,
    int EventCount)
{
    public static LoanSnapshot Of(Loan loan)
        => new(loan.Status, loan.DueDate, loan.ReturnedAt, loan.WasOverdue, loan.Extensions, loan.Version, loan.DomainEvents.Count);
}
