using Library.Lending.Domain.Borrowers;
using Library.SharedKernel.Domain;

namespace Library.Lending.Domain.Loans;

/// <summary>
/// One book lent to one patron for one borrow operation. Outstanding = active or overdue; a book has at most
/// one outstanding loan (also a partial unique index). Every transition is guarded, and replays are harmless.
/// </summary>
public sealed class Loan : AggregateRoot<LoanId>
{
    private Loan()
    {
        PatronEmail = null!;
        BookTitle = null!;
    }

    public Guid OperationId { get; private set; }

    public Guid PatronId { get; private set; }

    public string PatronEmail { get; private set; }

    public Guid BookId { get; private set; }

    public string BookTitle { get; private set; }

    public DateTimeOffset BorrowedAt { get; private set; }

    public DateTimeOffset DueDate { get; private set; }

    public DateTimeOffset? ReturnedAt { get; private set; }

    public bool? WasOverdue { get; private set; }

    public LoanStatus Status { get; private set; }

    public int Extensions { get; private set; }

    public bool IsOutstanding => Status is LoanStatus.Active or LoanStatus.Overdue;

    /// <summary>Lends the book if the borrower may borrow under the policy; otherwise the broken rule is thrown.</summary>
    public static Loan Lend(Guid operationId, Guid bookId, string bookTitle, Borrower borrower, int outstandingLoans, LendingPolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(borrower);
        ArgumentNullException.ThrowIfNull(policy);
        CheckRule(new BorrowerMustNotBeSuspended(borrower.Suspended));
        var tier = policy.For(borrower.MembershipTier);
        CheckRule(new PatronMustNotExceedLoanLimit(outstandingLoans, tier.MaxLoans));
        var loan = new Loan
        {
            Id = LoanId.New(),
            OperationId = operationId,
            PatronId = borrower.PatronId,
            PatronEmail = borrower.Email,
            BookId = bookId,
            BookTitle = bookTitle,
            BorrowedAt = now,
            DueDate = now.AddDays(tier.LoanDays),
            Status = LoanStatus.Active,
            Version = 1,
        };
        loan.Raise(new LoanCreated(loan.Id, operationId, bookId, loan.PatronId, now, loan.DueDate, now));
        return loan;
    }

    public void Extend(int days, LendingPolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(policy);
        CheckRule(new ExtensionDaysMustBeInRange(days));
        CheckRule(new OnlyAnActiveLoanCanBeExtended(Status));
        CheckRule(new LoanMustNotBePastDue(DueDate, now));
        CheckRule(new LoanMustNotExceedExtensions(Extensions, policy.MaxExtensions));
        DueDate = DueDate.AddDays(days);
        Extensions++;
        Version++;
        Raise(new LoanExtended(Id, PatronId, DueDate, Extensions, now));
    }

    /// <summary>Returns the book. Returning again changes nothing: the first return's time and verdict stand.</summary>
    public void Return(DateTimeOffset now)
    {
        if (Status == LoanStatus.Returned)
        {
            return;
        }

        CheckRule(new CancelledLoanCannotBeReturned(Status));
        Status = LoanStatus.Returned;
        ReturnedAt = now;
        WasOverdue = now > DueDate;
        Version++;
        Raise(new LoanReturned(Id, OperationId, BookId, PatronId, now, WasOverdue.Value, now));
    }

    /// <summary>Marks an active loan past its due date overdue, once; returns whether it did.</summary>
    public bool MarkOverdue(DateTimeOffset now)
    {
        if (Status != LoanStatus.Active || now <= DueDate)
        {
            return false;
        }

        Status = LoanStatus.Overdue;
        Version++;
        Raise(new LoanBecameOverdue(Id, BookId, PatronId, DueDate, now));
        return true;
    }

    /// <summary>Cancels an outstanding loan whose reservation Catalog released; returns whether it did.</summary>
    public bool Cancel(string reason, DateTimeOffset now)
    {
        if (!IsOutstanding)
        {
            return false;
        }

        Status = LoanStatus.Cancelled;
        Version++;
        Raise(new LoanCancelled(Id, OperationId, BookId, PatronId, reason, now));
        return true;
    }
}
