using Library.Lending.Domain.Loans;
using Library.SharedKernel.Domain;

namespace Library.Lending.Tests.Domain;

public sealed class LendTests
{
    private static readonly DateTimeOffset s_now = Given.BorrowedAt;

    private readonly Guid _operation = Guid.CreateVersion7();
    private readonly Guid _book = Guid.CreateVersion7();

    [Fact]
    public void Lend_ToAnEligibleBorrower_CreatesAnActiveLoanAtVersionOne()
    {
        var loan = Loan.Lend(_operation, _book, "Dune", Given.Borrower(), 0, LendingPolicy.Default, s_now);

        loan.OperationId.ShouldBe(_operation);
        loan.BookId.ShouldBe(_book);
        loan.BookTitle.ShouldBe("Dune");
        loan.PatronId.ShouldBe(Given.PatronId);
        loan.PatronEmail.ShouldBe("ada@example.com");
        loan.BorrowedAt.ShouldBe(s_now);
        loan.DueDate.ShouldBe(s_now.AddDays(14));
        loan.Status.ShouldBe(LoanStatus.Active);
        loan.IsOutstanding.ShouldBeTrue();
        loan.Extensions.ShouldBe(0);
        loan.ReturnedAt.ShouldBeNull();
        loan.WasOverdue.ShouldBeNull();
        loan.Version.ShouldBe(1);
    }

    [Fact]
    public void Lend_RaisesLoanCreatedWithTheLoansData()
    {
        var loan = Loan.Lend(_operation, _book, "Dune", Given.Borrower(), 0, LendingPolicy.Default, s_now);

        loan.DomainEvents.ShouldHaveSingleItem().ShouldBe(
            new LoanCreated(loan.Id, _operation, _book, Given.PatronId, s_now, s_now.AddDays(14), s_now));
    }

    [Fact]
    public void Lend_GivesTheLoanAUuidVersion7Id()
        => Given.Lend().Id.Value.Version.ShouldBe(7);

    [Fact]
    public void Lend_GivesEachLoanItsOwnId()
        => Given.Lend().Id.ShouldNotBe(Given.Lend().Id);

    [Fact]
    public void Lend_KeysTheAggregateByItsId()
    {
        var loan = Given.Lend();

        loan.AggregateKey.ShouldBe(loan.Id.Value.ToString("D"));
    }

    [Fact]
    public void Lend_WhenBorrowerIsSuspended_FailsWithPatronSuspended()
    {
        var rule = Given.ShouldBreakRule(
            () => Given.Lend(Given.Borrower(suspended: true), outstandingLoans: 0),
            "patron.suspended",
            ErrorKind.Forbidden);

        rule.ShouldBeOfType<BorrowerMustNotBeSuspended>();
    }

    [Fact]
    public void Lend_WhenBorrowerIsSuspendedAndAtTheLimit_FailsWithPatronSuspended()
        => Given.ShouldBreakRule(
            () => Given.Lend(Given.Borrower(suspended: true), outstandingLoans: 5),
            "patron.suspended",
            ErrorKind.Forbidden);

    [Theory]
    [InlineData("regular", 5)]
    [InlineData("premium", 10)]
    [InlineData("researcher", 20)]
    public void Lend_AtTheTiersLimit_FailsWithLoanLimitReached(string tier, int limit)
    {
        var rule = Given.ShouldBreakRule(
            () => Given.Lend(Given.Borrower(tier), outstandingLoans: limit),
            "loan.limit_reached",
            ErrorKind.Conflict);

        rule.ShouldBeOfType<PatronMustNotExceedLoanLimit>();
        rule.Message.ShouldBe($"borrowing limit of {limit} reached");
    }

    [Theory]
    [InlineData("regular", 5)]
    [InlineData("premium", 10)]
    [InlineData("researcher", 20)]
    public void Lend_AboveTheTiersLimit_FailsWithLoanLimitReached(string tier, int limit)
        => Given.ShouldBreakRule(
            () => Given.Lend(Given.Borrower(tier), outstandingLoans: limit + 1),
            "loan.limit_reached",
            ErrorKind.Conflict).Message.ShouldBe($"borrowing limit of {limit} reached");

    [Theory]
    [InlineData("regular", 5)]
    [InlineData("premium", 10)]
    [InlineData("researcher", 20)]
    public void Lend_OneBelowTheTiersLimit_CreatesTheLoan(string tier, int limit)
    {
        var loan = Given.Lend(Given.Borrower(tier), outstandingLoans: limit - 1);

        loan.Status.ShouldBe(LoanStatus.Active);
        loan.DomainEvents.ShouldHaveSingleItem().ShouldBeOfType<LoanCreated>();
    }

    [Theory]
    [InlineData("regular", 14)]
    [InlineData("premium", 21)]
    [InlineData("researcher", 30)]
    public void Lend_RunsForTheTiersLoanPeriod(string tier, int loanDays)
    {
        var loan = Given.Lend(Given.Borrower(tier));

        loan.DueDate.ShouldBe(s_now.AddDays(loanDays));
        loan.DomainEvents.ShouldHaveSingleItem().ShouldBeOfType<LoanCreated>().DueDate.ShouldBe(s_now.AddDays(loanDays));
    }

    [Theory]
    [InlineData("Premium", 21)]
    [InlineData("RESEARCHER", 30)]
    public void Lend_MatchesTheTierInAnyCase(string tier, int loanDays)
        => Given.Lend(Given.Borrower(tier)).DueDate.ShouldBe(s_now.AddDays(loanDays));

    [Theory]
    [InlineData("platinum")]
    [InlineData("")]
    public void Lend_ForAnUnknownTier_RunsForTheRegularLoanPeriod(string tier)
        => Given.Lend(Given.Borrower(tier)).DueDate.ShouldBe(s_now.AddDays(14));

    [Fact]
    public void Lend_ForAnUnknownTier_AppliesTheRegularLimit()
    {
        Given.Lend(Given.Borrower("platinum"), outstandingLoans: 4).Status.ShouldBe(LoanStatus.Active);

        Given.ShouldBreakRule(
            () => Given.Lend(Given.Borrower("platinum"), outstandingLoans: 5),
            "loan.limit_reached",
            ErrorKind.Conflict).Message.ShouldBe("borrowing limit of 5 reached");
    }

    [Fact]
    public void Lend_UnderACustomPolicy_UsesItsLimitAndLoanPeriod()
    {
        var policy = new LendingPolicy(
            new Dictionary<string, TierPolicy>(StringComparer.OrdinalIgnoreCase) { ["regular"] = new(2, 7), ["premium"] = new(3, 9) },
            maxExtensions: 1);

        Given.Lend(Given.Borrower("premium"), outstandingLoans: 2, policy).DueDate.ShouldBe(s_now.AddDays(9));
        Given.ShouldBreakRule(
            () => Given.Lend(Given.Borrower("premium"), outstandingLoans: 3, policy),
            "loan.limit_reached",
            ErrorKind.Conflict).Message.ShouldBe("borrowing limit of 3 reached");
        Given.ShouldBreakRule(
            () => Given.Lend(Given.Borrower("regular"), outstandingLoans: 2, policy),
            "loan.limit_reached",
            ErrorKind.Conflict).Message.ShouldBe("borrowing limit of 2 reached");
    }
}
