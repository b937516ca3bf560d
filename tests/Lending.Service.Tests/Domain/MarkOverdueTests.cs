using Library.Lending.Domain.Loans;

namespace Library.Lending.Tests.Domain;

public sealed class MarkOverdueTests
{
    private static readonly DateTimeOffset s_dueDate = Given.RegularDueDate;

    [Fact]
    public void MarkOverdue_ActiveLoanPastItsDueDate_MarksItOverdue()
    {
        var loan = Given.ActiveLoan();

        loan.MarkOverdue(s_dueDate.AddHours(1)).ShouldBeTrue();

        loan.Status.ShouldBe(LoanStatus.Overdue);
        loan.IsOutstanding.ShouldBeTrue();
        loan.Version.ShouldBe(2);
        loan.DueDate.ShouldBe(s_dueDate);
        loan.ReturnedAt.ShouldBeNull();
    }

    [Fact]
    public void MarkOverdue_RaisesLoanBecameOverdueWithTheDueDate()
    {
        var loan = Given.ActiveLoan();
        var now = s_dueDate.AddHours(1);

        loan.MarkOverdue(now);

        loan.DomainEvents.ShouldHaveSingleItem().ShouldBe(new LoanBecameOverdue(loan.Id, loan.BookId, Given.PatronId, s_dueDate, now));
    }

    [Fact]
    public void MarkOverdue_OneTickAfterTheDueDate_MarksItOverdue()
    {
        var loan = Given.ActiveLoan();

        loan.MarkOverdue(s_dueDate.AddTicks(1)).ShouldBeTrue();

        loan.Status.ShouldBe(LoanStatus.Overdue);
    }

    [Fact]
    public void MarkOverdue_ExactlyAtTheDueDate_ReturnsFalseAndChangesNothing()
    {
        var loan = Given.ActiveLoan();
        var before = LoanSnapshot.Of(loan);

        loan.MarkOverdue(s_dueDate).ShouldBeFalse();

        LoanSnapshot.Of(loan).ShouldBe(before);
    }

    [Fact]
    public void MarkOverdue_BeforeTheDueDate_ReturnsFalseAndChangesNothing()
    {
        var loan = Given.ActiveLoan();
        var before = LoanSnapshot.Of(loan);

        loan.MarkOverdue(s_dueDate.AddDays(-1)).ShouldBeFalse();

        LoanSnapshot.Of(loan).ShouldBe(before);
    }

    [Fact]
    public void MarkOverdue_ExtendedLoanPastOnlyItsOriginalDueDate_ReturnsFalse()
    {
        var loan = Given.ActiveLoan();
        loan.Extend(7, LendingPolicy.Default, Given.BorrowedAt.AddDays(1));
        loan.ClearDomainEvents();
        var before = LoanSnapshot.Of(loan);

        loan.MarkOverdue(s_dueDate.AddDays(1)).ShouldBeFalse();

        LoanSnapshot.Of(loan).ShouldBe(before);
    }

    [Fact]
    public void MarkOverdue_Twice_ReturnsFalseTheSecondTimeWithoutASecondEvent()
    {
        var loan = Given.ActiveLoan();
        loan.MarkOverdue(s_dueDate.AddDays(1)).ShouldBeTrue();
        var before = LoanSnapshot.Of(loan);

        loan.MarkOverdue(s_dueDate.AddDays(2)).ShouldBeFalse();

        LoanSnapshot.Of(loan).ShouldBe(before);
        loan.DomainEvents.ShouldHaveSingleItem().ShouldBeOfType<LoanBecameOverdue>().OccurredAt.ShouldBe(s_dueDate.AddDays(1));
    }

    [Theory]
    [InlineData(LoanStatus.Returned)]
    [InlineData(LoanStatus.Cancelled)]
    public void MarkOverdue_LoanThatIsNoLongerOutstanding_ReturnsFalseAndChangesNothing(LoanStatus status)
    {
        var loan = Given.LoanIn(status);
        var before = LoanSnapshot.Of(loan);

        loan.MarkOverdue(s_dueDate.AddDays(30)).ShouldBeFalse();

        LoanSnapshot.Of(loan).ShouldBe(before);
        loan.Status.ShouldBe(status);
    }
}
