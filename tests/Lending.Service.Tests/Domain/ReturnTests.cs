using Library.Lending.Domain.Loans;
using Library.SharedKernel.Domain;

namespace Library.Lending.Tests.Domain;

public sealed class ReturnTests
{
    private static readonly DateTimeOffset s_dueDate = Given.RegularDueDate;

    [Fact]
    public void Return_ActiveLoanBeforeTheDueDate_ReturnsItNotOverdue()
    {
        var loan = Given.ActiveLoan();
        var returnedAt = s_dueDate.AddDays(-1);

        loan.Return(returnedAt);

        loan.Status.ShouldBe(LoanStatus.Returned);
        loan.IsOutstanding.ShouldBeFalse();
        loan.ReturnedAt.ShouldBe(returnedAt);
        loan.WasOverdue.ShouldBe(false);
        loan.Version.ShouldBe(2);
        loan.DueDate.ShouldBe(s_dueDate);
    }

    [Fact]
    public void Return_RaisesLoanReturnedWithTheVerdict()
    {
        var loan = Given.ActiveLoan();
        var returnedAt = s_dueDate.AddDays(-1);

        loan.Return(returnedAt);

        loan.DomainEvents.ShouldHaveSingleItem().ShouldBe(
            new LoanReturned(loan.Id, loan.OperationId, loan.BookId, Given.PatronId, returnedAt, false, returnedAt));
    }

    [Fact]
    public void Return_ExactlyAtTheDueDate_IsNotOverdue()
    {
        var loan = Given.ActiveLoan();

        loan.Return(s_dueDate);

        loan.Status.ShouldBe(LoanStatus.Returned);
        loan.WasOverdue.ShouldBe(false);
        loan.DomainEvents.ShouldHaveSingleItem().ShouldBeOfType<LoanReturned>().WasOverdue.ShouldBeFalse();
    }

    [Fact]
    public void Return_OneTickAfterTheDueDateOfALoanNotYetMarkedOverdue_IsOverdue()
    {
        var loan = Given.ActiveLoan();
        var returnedAt = s_dueDate.AddTicks(1);

        loan.Return(returnedAt);

        loan.Status.ShouldBe(LoanStatus.Returned);
        loan.ReturnedAt.ShouldBe(returnedAt);
        loan.WasOverdue.ShouldBe(true);
        loan.DomainEvents.ShouldHaveSingleItem().ShouldBeOfType<LoanReturned>().WasOverdue.ShouldBeTrue();
    }

    [Fact]
    public void Return_ExtendedLoanAfterTheOriginalDueDate_IsNotOverdue()
    {
        var loan = Given.ActiveLoan();
        loan.Extend(7, LendingPolicy.Default, Given.BorrowedAt.AddDays(1));

        loan.Return(s_dueDate.AddDays(3));

        loan.WasOverdue.ShouldBe(false);
    }

    [Fact]
    public void Return_OverdueLoan_ReturnsItAsOverdue()
    {
        var loan = Given.OverdueLoan();
        var returnedAt = s_dueDate.AddDays(4);

        loan.Return(returnedAt);

        loan.Status.ShouldBe(LoanStatus.Returned);
        loan.IsOutstanding.ShouldBeFalse();
        loan.ReturnedAt.ShouldBe(returnedAt);
        loan.WasOverdue.ShouldBe(true);
        loan.Version.ShouldBe(3);
        loan.DomainEvents.ShouldHaveSingleItem().ShouldBe(
            new LoanReturned(loan.Id, loan.OperationId, loan.BookId, Given.PatronId, returnedAt, true, returnedAt));
    }

    [Fact]
    public void Return_Twice_KeepsTheFirstReturnWithoutASecondEvent()
    {
        var loan = Given.ActiveLoan();
        var firstReturn = s_dueDate.AddDays(-1);
        loan.Return(firstReturn);
        loan.ClearDomainEvents();
        var before = LoanSnapshot.Of(loan);

        // The replay comes after the due date: it must not turn the first verdict into "overdue".
        loan.Return(s_dueDate.AddDays(2));

        LoanSnapshot.Of(loan).ShouldBe(before);
        loan.ReturnedAt.ShouldBe(firstReturn);
        loan.WasOverdue.ShouldBe(false);
        loan.DomainEvents.ShouldBeEmpty();
    }

    [Fact]
    public void Return_OverdueLoanTwice_KeepsTheFirstReturnWithoutASecondEvent()
    {
        var loan = Given.OverdueLoan();
        var firstReturn = s_dueDate.AddDays(2);
        loan.Return(firstReturn);
        loan.ClearDomainEvents();
        var before = LoanSnapshot.Of(loan);

        loan.Return(s_dueDate.AddDays(9));

        LoanSnapshot.Of(loan).ShouldBe(before);
        loan.ReturnedAt.ShouldBe(firstReturn);
        loan.WasOverdue.ShouldBe(true);
        loan.DomainEvents.ShouldBeEmpty();
    }

    [Fact]
    public void Return_CancelledLoan_FailsWithLoanCancelled()
    {
        var loan = Given.CancelledLoan();
        var before = LoanSnapshot.Of(loan);

        Given.ShouldBreakRule(() => loan.Return(s_dueDate.AddDays(-1)), "loan.cancelled", ErrorKind.Conflict)
            .ShouldBeOfType<CancelledLoanCannotBeReturned>();

        LoanSnapshot.Of(loan).ShouldBe(before);
        loan.Status.ShouldBe(LoanStatus.Cancelled);
        loan.ReturnedAt.ShouldBeNull();
    }
}
