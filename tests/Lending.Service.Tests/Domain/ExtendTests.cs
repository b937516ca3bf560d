using Library.Lending.Domain.Loans;
using Library.SharedKernel.Domain;

namespace Library.Lending.Tests.Domain;

public sealed class ExtendTests
{
    private static readonly DateTimeOffset s_dueDate = Given.RegularDueDate;
    private static readonly DateTimeOffset s_beforeDue = Given.BorrowedAt.AddDays(5);

    [Fact]
    public void Extend_ActiveLoan_MovesTheDueDateByTheDays()
    {
        var loan = Given.ActiveLoan();

        loan.Extend(7, LendingPolicy.Default, s_beforeDue);

        loan.DueDate.ShouldBe(s_dueDate.AddDays(7));
        loan.Extensions.ShouldBe(1);
        loan.Version.ShouldBe(2);
        loan.Status.ShouldBe(LoanStatus.Active);
        loan.BorrowedAt.ShouldBe(Given.BorrowedAt);
    }

    [Fact]
    public void Extend_RaisesLoanExtendedWithTheNewDueDateAndCount()
    {
        var loan = Given.ActiveLoan();

        loan.Extend(7, LendingPolicy.Default, s_beforeDue);

        loan.DomainEvents.ShouldHaveSingleItem().ShouldBe(
            new LoanExtended(loan.Id, Given.PatronId, s_dueDate.AddDays(7), 1, s_beforeDue));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(365)]
    public void Extend_ByTheFewestOrMostDaysAllowed_Succeeds(int days)
    {
        var loan = Given.ActiveLoan();

        loan.Extend(days, LendingPolicy.Default, s_beforeDue);

        loan.DueDate.ShouldBe(s_dueDate.AddDays(days));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(366)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    public void Extend_ByDaysOutOfRange_FailsWithExtensionDaysInvalid(int days)
    {
        var loan = Given.ActiveLoan();
        var before = LoanSnapshot.Of(loan);

        Given.ShouldBreakRule(() => loan.Extend(days, LendingPolicy.Default, s_beforeDue), "loan.extension_days_invalid", ErrorKind.Validation)
            .ShouldBeOfType<ExtensionDaysMustBeInRange>();

        LoanSnapshot.Of(loan).ShouldBe(before);
    }

    [Theory]
    [InlineData(LoanStatus.Overdue)]
    [InlineData(LoanStatus.Returned)]
    [InlineData(LoanStatus.Cancelled)]
    public void Extend_WhenLoanIsNotActive_FailsWithLoanNotActive(LoanStatus status)
    {
        var loan = Given.LoanIn(status);
        var before = LoanSnapshot.Of(loan);

        Given.ShouldBreakRule(() => loan.Extend(7, LendingPolicy.Default, s_beforeDue), "loan.not_active", ErrorKind.Conflict)
            .ShouldBeOfType<OnlyAnActiveLoanCanBeExtended>();

        LoanSnapshot.Of(loan).ShouldBe(before);
    }

    [Fact]
    public void Extend_ExactlyAtTheDueDate_Succeeds()
    {
        var loan = Given.ActiveLoan();

        loan.Extend(7, LendingPolicy.Default, s_dueDate);

        loan.DueDate.ShouldBe(s_dueDate.AddDays(7));
    }

    [Fact]
    public void Extend_OneTickAfterTheDueDate_FailsWithLoanPastDue()
    {
        var loan = Given.ActiveLoan();
        var before = LoanSnapshot.Of(loan);

        Given.ShouldBreakRule(() => loan.Extend(7, LendingPolicy.Default, s_dueDate.AddTicks(1)), "loan.past_due", ErrorKind.Conflict)
            .ShouldBeOfType<LoanMustNotBePastDue>();

        LoanSnapshot.Of(loan).ShouldBe(before);
    }

    [Fact]
    public void Extend_AfterTheOriginalDueDateButBeforeTheExtendedOne_Succeeds()
    {
        var loan = Given.ActiveLoan();
        loan.Extend(7, LendingPolicy.Default, s_beforeDue);

        loan.Extend(3, LendingPolicy.Default, s_dueDate.AddDays(1));

        loan.DueDate.ShouldBe(s_dueDate.AddDays(10));
        loan.Extensions.ShouldBe(2);
    }

    [Fact]
    public void Extend_UpToTheDefaultMaximumOfThreeTimes_AddsUpTheDays()
    {
        var loan = Given.ActiveLoan();

        loan.Extend(7, LendingPolicy.Default, s_beforeDue);
        loan.Extend(10, LendingPolicy.Default, s_beforeDue.AddDays(1));
        loan.Extend(1, LendingPolicy.Default, s_beforeDue.AddDays(2));

        loan.DueDate.ShouldBe(s_dueDate.AddDays(18));
        loan.Extensions.ShouldBe(3);
        loan.Version.ShouldBe(4);
        loan.DomainEvents.Cast<LoanExtended>().Select(e => (e.Extensions, e.DueDate)).ShouldBe(
            [(1, s_dueDate.AddDays(7)), (2, s_dueDate.AddDays(17)), (3, s_dueDate.AddDays(18))]);
    }

    [Fact]
    public void Extend_AFourthTimeUnderTheDefaultPolicy_FailsWithExtensionLimitReached()
    {
        var loan = Given.ActiveLoan();
        for (var i = 0; i < 3; i++)
        {
            loan.Extend(1, LendingPolicy.Default, s_beforeDue);
        }

        var before = LoanSnapshot.Of(loan);

        Given.ShouldBreakRule(() => loan.Extend(1, LendingPolicy.Default, s_beforeDue), "loan.extension_limit_reached", ErrorKind.Conflict)
            .ShouldBeOfType<LoanMustNotExceedExtensions>();

        LoanSnapshot.Of(loan).ShouldBe(before);
        loan.Extensions.ShouldBe(3);
    }

    [Fact]
    public void Extend_ASecondTimeUnderAPolicyOfOneExtension_FailsWithExtensionLimitReached()
    {
        var policy = Given.PolicyWithMaxExtensions(1);
        var loan = Given.ActiveLoan();
        loan.Extend(7, policy, s_beforeDue);
        var before = LoanSnapshot.Of(loan);

        Given.ShouldBreakRule(() => loan.Extend(7, policy, s_beforeDue), "loan.extension_limit_reached", ErrorKind.Conflict);

        LoanSnapshot.Of(loan).ShouldBe(before);
        loan.DueDate.ShouldBe(s_dueDate.AddDays(7));
    }

    [Fact]
    public void Extend_UnderAPolicyOfNoExtensions_FailsWithExtensionLimitReached()
    {
        var loan = Given.ActiveLoan();
        var before = LoanSnapshot.Of(loan);

        Given.ShouldBreakRule(() => loan.Extend(7, Given.PolicyWithMaxExtensions(0), s_beforeDue), "loan.extension_limit_reached", ErrorKind.Conflict);

        LoanSnapshot.Of(loan).ShouldBe(before);
    }

    [Fact]
    public void Extend_AfterTheLimitWasRaised_IsAllowedAgain()
    {
        // The policy is read live (SPEC §2), so a loan refused under one limit may be extended under a higher one.
        var loan = Given.ActiveLoan();
        loan.Extend(1, Given.PolicyWithMaxExtensions(1), s_beforeDue);
        Should.Throw<BusinessRuleViolationException>(() => loan.Extend(1, Given.PolicyWithMaxExtensions(1), s_beforeDue));

        loan.Extend(1, Given.PolicyWithMaxExtensions(2), s_beforeDue);

        loan.Extensions.ShouldBe(2);
    }
}
