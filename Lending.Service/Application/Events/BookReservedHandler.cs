using Library.Lending.Application.Loans;
using Library.Lending.Domain.Loans;
using Library.SharedKernel.Caching;
using Library.Lending.Infrastructure;
using Library.Lending.Infrastructure.Persistence;
using Library.SharedKernel.Contracts.Catalog;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Messaging;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Contracts = Library.SharedKernel.Contracts.Lending;

namespace Library.Lending.Application.Events;

/// <summary>
/// Step 2 of the borrow saga (SPEC §3): decide with the newer of the reservation's patron snapshot and the
/// borrower projection, apply the lending policy, and create the loan or reject the reservation.
/// </summary>
public sealed class BookReservedHandler(LendingDbContext db, LendingPolicyProvider policies, CacheInvalidations invalidations, TimeProvider timeProvider) : IIntegrationEventHandler<BookReserved>
{
    public async Task HandleAsync(BookReserved e, IntegrationEventEnvelope envelope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        var snapshot = e.Patron;
        await Borrowers.UpsertAsync(db, snapshot.PatronId, snapshot.Email, snapshot.MembershipTier, snapshot.Suspended, snapshot.Version, cancellationToken);
        var inputs = await Borrowers.LockForDecisionAsync(db, snapshot.PatronId, e.OperationId, e.BookId, cancellationToken);
        if (inputs.DecidedBefore)
        {
            return;
        }

        var now = timeProvider.UtcNowMicroseconds();
        if (inputs.BookOnLoan)
        {
            await RejectAsync(e, "book.unavailable", "book is already on loan", now, cancellationToken);
            return;
        }

        // A loan of the book committed between the check and the insert (another transaction) makes the unique
        // index refuse the insert: the transaction fails, the consumer retries the message, and the check rejects it.
        try
        {
            var loan = Loan.Lend(e.OperationId, e.BookId, e.BookTitle, inputs.Borrower, inputs.OutstandingLoans, policies.Current, now);
            db.Loans.Add(loan);
            invalidations.Touch(LoanCache.Changed(loan.Id)); // flushed by the consumer after its commit
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (BusinessRuleViolationException rule)
        {
            await RejectAsync(e, rule.Rule.Code, rule.Rule.Message, now, cancellationToken);
        }
    }

    private async Task RejectAsync(BookReserved e, string code, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        db.Publish(new Contracts.LoanRejected(e.OperationId, e.BookId, e.Patron.PatronId, code, reason), e.OperationId.ToString(), now);
        await db.SaveChangesAsync(cancellationToken);
    }
}

/// <summary>Step 6 of the saga: a reservation Catalog released (e.g. expired) cancels the loan made for it.</summary>
public sealed class BookReservationReleasedHandler(LendingDbContext db, CacheInvalidations invalidations, TimeProvider timeProvider) : IIntegrationEventHandler<BookReservationReleased>
{
    public async Task HandleAsync(BookReservationReleased e, IntegrationEventEnvelope envelope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        var loan = await db.Loans.SingleOrDefaultAsync(l => l.OperationId == e.OperationId, cancellationToken);
        if (loan is not null && loan.Cancel(e.Reason, timeProvider.UtcNowMicroseconds()))
        {
            invalidations.Touch(LoanCache.Changed(loan.Id));
            await db.SaveChangesAsync(cancellationToken);
        }
    }
}
