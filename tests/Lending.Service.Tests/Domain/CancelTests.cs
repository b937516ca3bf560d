using Library.Lending.Domain.Loans;

namespace Library.Lending.Tests.Domain;

public sealed class CancelTests
{
    private static readonly DateTimeOffset s_cancelledAt = Given.BorrowedAt.AddMinutes(6);

    [Theory]
    [InlineData(LoanStatus.Active)]
    [InlineData(LoanStatus.Overdue)]
    public void Cancel_OutstandingLoan_CancelsIt(LoanStatus status)
    {
        var loan = Given.LoanIn(status);
        var version = loan.Version;

        loan.Cancel("reservation expired", s_cancelledAt).ShouldBeTrue();

        loan.Status.ShouldBe(LoanStatus.Cancelled);
        loan.IsOutstanding.ShouldBeFalse();
        loan.Version.ShouldBe(version + 1);
        loan.ReturnedAt.ShouldBeNull();
        loan.WasOverdue.ShouldBeNull();
    }

    [Fact]
    public void Cancel_RaisesLoanCancelledWithTheReason()
    {
        var loan = Given.ActiveLoan();

        loan.Cancel("reservation expired", s_cancelledAt);

        loan.DomainEvents.ShouldHaveSingleItem().ShouldBe(
            new LoanCancelled(loan.Id, loan.OperationId, loan.BookId, Given.PatronId, "reservation expired", s_cancelledAt));
    }

    [Fact]
    public void Cancel_ReturnedLoan_ReturnsFalseAndChangesNothing()
    {
        var loan = Given.ReturnedLoan();
        var before = LoanSnapshot.Of(loan);

        loan.Cancel("reservation expired", s_cancelledAt).ShouldBeFalse();

        LoanSnapshot.Of(loan).ShouldBe(before);
        loan.Status.ShouldBe(LoanStatus.Returned);
    }

    [Fact]
    public void Cancel_Twice_ReturnsFalseTheSecondTimeWithoutASecondEvent()
    {
        var loan = Given.ActiveLoan();
        loan.Cancel("reservation expired", s_cancelledAt).ShouldBeTrue();
        var before = LoanSnapshot.Of(loan);

        loan.Cancel("another reason", s_cancelledAt.AddMinutes(1)).ShouldBeFalse();

        LoanSnapshot.Of(loan).ShouldBe(before);
        loan.DomainEvents.ShouldHaveSingleItem().ShouldBeOfType<LoanCancelled>().Reason.ShouldBe("reservation expired");
    }
}
