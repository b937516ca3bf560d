using Library.Lending.Domain.Loans;
using Library.Lending.Infrastructure;
using Library.Lending.Infrastructure.Persistence;
using Library.SharedKernel.Caching;
using Library.SharedKernel.Domain;
using Microsoft.EntityFrameworkCore;

namespace Library.Lending.Application.Loans;

public sealed record ExtendLoanCommand(LoanId LoanId, int? Days);

public sealed record ReturnLoanCommand(LoanId LoanId);

public sealed record ReturnBookCommand(Guid BookId);

/// <summary>The borrower's and librarian's changes to a loan: extend and return (SPEC §2).</summary>
public sealed class LoanCommands(LendingDbContext db, LendingPolicyProvider policies, CacheInvalidations invalidations, TimeProvider timeProvider)
{
    public const int DefaultExtensionDays = 7;

    public static DomainError NotFound(LoanId id) => new("loan.not_found", $"No loan with id {id}.", ErrorKind.NotFound);

    public async Task<LoanExtendedResponse> HandleAsync(ExtendLoanCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var loan = await LoadAsync(command.LoanId, cancellationToken);
        loan.Extend(command.Days ?? DefaultExtensionDays, policies.Current, timeProvider.UtcNowMicroseconds());
        invalidations.Touch(LoanCache.Changed(loan.Id));
        await db.SaveChangesAsync(cancellationToken);
        await invalidations.AfterSaveAsync(db);
        return new LoanExtendedResponse(loan.Id.Value, loan.DueDate);
    }

    public async Task<LoanReturnedResponse> HandleAsync(ReturnLoanCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return await ReturnAsync(await LoadAsync(command.LoanId, cancellationToken), cancellationToken);
    }

    /// <summary>Returns the book's outstanding loan, as the librarian's desk does.</summary>
    public async Task<LoanReturnedResponse> HandleAsync(ReturnBookCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var loan = await db.Loans.SingleOrDefaultAsync(l => l.BookId == command.BookId && (l.Status == LoanStatus.Active || l.Status == LoanStatus.Overdue), cancellationToken)
            ?? throw new DomainErrorException(new DomainError("book.not_on_loan", $"Book {command.BookId} has no outstanding loan.", ErrorKind.Conflict));
        return await ReturnAsync(loan, cancellationToken);
    }

    private async Task<LoanReturnedResponse> ReturnAsync(Loan loan, CancellationToken cancellationToken)
    {
        loan.Return(timeProvider.UtcNowMicroseconds());
        invalidations.Touch(LoanCache.Changed(loan.Id));
        await db.SaveChangesAsync(cancellationToken);
        await invalidations.AfterSaveAsync(db);
        return new LoanReturnedResponse(loan.Id.Value, loan.ReturnedAt!.Value, loan.WasOverdue!.Value);
    }

    private async Task<Loan> LoadAsync(LoanId id, CancellationToken cancellationToken)
        => await db.Loans.SingleOrDefaultAsync(l => l.Id == id, cancellationToken) ?? throw new DomainErrorException(NotFound(id));
}
