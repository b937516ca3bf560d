using Library.Lending.Domain.Loans;
using Library.Lending.Infrastructure.Persistence;
using Library.SharedKernel.Caching;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Http;
using Library.SharedKernel.Pagination;
using Microsoft.EntityFrameworkCore;

namespace Library.Lending.Application.Loans;

public sealed record ListLoansQuery(string? PatronId, string? Status, bool? Overdue, int? Limit, string? Cursor);

/// <summary>The read side of Lending. Loans list newest first (UUIDv7 ids follow borrowedAt).</summary>
public sealed class LoanQueries(LendingDbContext db, QueryCache cache, TimeProvider timeProvider)
{
    public Task<LoanResponse?> GetAsync(LoanId id, CancellationToken cancellationToken)
        => cache.GetOrLoadAsync<LendingDbContext, LoanResponse>($"loan:{id}", LoanCache.Of(id), (db, ct) => LoadAsync(db, id, ct), cancellationToken);

    private static Task<LoanResponse?> LoadAsync(LendingDbContext db, LoanId id, CancellationToken cancellationToken)
        => db.Loans.AsNoTracking().Where(l => l.Id == id)
            .Select(l => new LoanResponse(l.Id.Value, l.PatronId, l.PatronEmail, l.BookId, l.BookTitle, l.BorrowedAt, l.DueDate, l.ReturnedAt, l.Status, l.Extensions))
            .FirstOrDefaultAsync(cancellationToken);

    public async Task<Page<LoanResponse>> ListAsync(ListLoansQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var errors = new ValidationErrors();
        Guid? patronId = null;
        if (!string.IsNullOrEmpty(query.PatronId))
        {
            if (TypedId.TryParse(query.PatronId, out var parsed))
            {
                patronId = parsed;
            }
            else
            {
                errors.Add("patronId", "patronId must be a UUID.");
            }
        }

        LoanStatus? status = null;
        if (!string.IsNullOrEmpty(query.Status))
        {
            if (Enum.TryParse<LoanStatus>(query.Status, ignoreCase: true, out var parsed) && !int.TryParse(query.Status, out _))
            {
                status = parsed;
            }
            else
            {
                errors.Add("status", "status must be one of: active, overdue, returned, cancelled.");
            }
        }

        var page = PageRequest.Create(query.Limit, query.Cursor, KeysetCursor.Fingerprint("loans", patronId?.ToString(), status?.ToString(), query.Overdue?.ToString()), errors);
        errors.ThrowIfAny();

        // "Overdue" depends on the clock, not only on writes, so those lists are always read fresh.
        return query.Overdue is not null
            ? (await LoadAsync(db, page, patronId, status, query.Overdue, timeProvider, cancellationToken))!
            : (await cache.GetOrLoadAsync($"loans:{page.QueryFingerprint}:{page.After}:{page.Limit}", LoanCache.AllLists, (LendingDbContext db, CancellationToken ct) => LoadAsync(db, page, patronId, status, null, timeProvider, ct), cancellationToken))!;
    }

    private static async Task<Page<LoanResponse>?> LoadAsync(LendingDbContext db, PageRequest page, Guid? patronId, LoanStatus? status, bool? overdueFilter, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var loans = db.Loans.AsNoTracking();
        if (patronId is { } p)
        {
            loans = loans.Where(l => l.PatronId == p);
        }

        if (status is { } s)
        {
            loans = loans.Where(l => l.Status == s);
        }

        if (overdueFilter is { } overdue)
        {
            // SPEC §4: overdue = outstanding and past due, whether or not the sweep has marked it yet.
            var now = timeProvider.GetUtcNow();
            loans = overdue
                ? loans.Where(l => (l.Status == LoanStatus.Active || l.Status == LoanStatus.Overdue) && l.DueDate < now)
                : loans.Where(l => !((l.Status == LoanStatus.Active || l.Status == LoanStatus.Overdue) && l.DueDate < now));
        }

        if (page.After is { } after)
        {
            var afterId = new LoanId(after);
            loans = loans.Where(l => l.Id < afterId);
        }

        var rows = await loans
            .OrderByDescending(l => l.Id)
            .Take(page.Limit + 1)
            .Select(l => new LoanResponse(l.Id.Value, l.PatronId, l.PatronEmail, l.BookId, l.BookTitle, l.BorrowedAt, l.DueDate, l.ReturnedAt, l.Status, l.Extensions))
            .ToListAsync(cancellationToken);
        return page.ToPage(rows, r => r.Id, r => r);
    }
}

/// <summary>The cache generations of lending: one per loan and one for every list of loans.</summary>
public static class LoanCache
{
    public const string AllLists = "gen:loans";

    public static string Of(LoanId id) => $"gen:loan:{id}";

    public static string[] Changed(LoanId id) => [Of(id), AllLists];
}
