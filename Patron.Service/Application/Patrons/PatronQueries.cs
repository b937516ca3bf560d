using Library.Patron.Domain.Patrons;
using Library.Patron.Infrastructure.Persistence;
using Library.SharedKernel.Caching;
using Library.SharedKernel.Http;
using Library.SharedKernel.Pagination;
using Microsoft.EntityFrameworkCore;

namespace Library.Patron.Application.Patrons;

public sealed record ListPatronsQuery(string? Tier, bool? Suspended, int? Limit, string? Cursor);

/// <summary>The read side of the Patron context: projections straight from the table, no tracking.</summary>
public sealed class PatronQueries(PatronDbContext db, QueryCache cache)
{
    private static readonly Func<PatronDbContext, PatronId, CancellationToken, Task<PatronResponse?>> s_byId =
        EF.CompileAsyncQuery((PatronDbContext context, PatronId id, CancellationToken _) =>
            context.Patrons.AsNoTracking()
                .Where(p => p.Id == id)
                .Select(p => new PatronResponse(p.Id.Value, p.FirstName, p.LastName, p.Email, p.MembershipTier, p.Suspended, p.SuspendedReason, p.RegisteredAt))
                .FirstOrDefault());

    public Task<PatronResponse?> GetAsync(PatronId id, CancellationToken cancellationToken)
        => cache.GetOrLoadAsync<PatronDbContext, PatronResponse>($"patron:{id}", PatronCache.Of(id), (db, ct) => s_byId(db, id, ct), cancellationToken);

    public Task<BorrowerEligibility?> GetEligibilityAsync(PatronId id, CancellationToken cancellationToken)
        => db.Patrons.AsNoTracking()
            .Where(p => p.Id == id)
            .Select(p => new BorrowerEligibility(p.Id.Value, p.Email, p.MembershipTier, p.Suspended, p.Version))
            .FirstOrDefaultAsync(cancellationToken);

    public async Task<Page<PatronResponse>> ListAsync(ListPatronsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var errors = new ValidationErrors();
        MembershipTier? tier = null;
        if (!string.IsNullOrEmpty(query.Tier))
        {
            if (MembershipTiers.TryParse(query.Tier, out var parsed))
            {
                tier = parsed;
            }
            else
            {
                errors.Add("tier", "tier must be one of: regular, premium, researcher.");
            }
        }

        var page = PageRequest.Create(query.Limit, query.Cursor, KeysetCursor.Fingerprint("patrons", tier?.ToWire(), query.Suspended?.ToString()), errors);
        errors.ThrowIfAny();
        return (await cache.GetOrLoadAsync($"patrons:{page.QueryFingerprint}:{page.After}:{page.Limit}", PatronCache.AllLists, (PatronDbContext db, CancellationToken ct) => LoadAsync(db, page, tier, query.Suspended, ct), cancellationToken))!;
    }

    private static async Task<Page<PatronResponse>?> LoadAsync(PatronDbContext db, PageRequest page, MembershipTier? tier, bool? suspendedFilter, CancellationToken cancellationToken)
    {

        var patrons = db.Patrons.AsNoTracking();
        if (tier is { } t)
        {
            patrons = patrons.Where(p => p.MembershipTier == t);
        }

        if (suspendedFilter is { } suspended)
        {
            patrons = patrons.Where(p => p.Suspended == suspended);
        }

        if (page.After is { } after)
        {
            var afterId = new PatronId(after);
            patrons = patrons.Where(p => p.Id > afterId);
        }

        var rows = await patrons
            .OrderBy(p => p.Id)
            .Take(page.Limit + 1)
            .Select(p => new PatronResponse(p.Id.Value, p.FirstName, p.LastName, p.Email, p.MembershipTier, p.Suspended, p.SuspendedReason, p.RegisteredAt))
            .ToListAsync(cancellationToken);
        return page.ToPage(rows, r => r.Id, r => r);
    }
}

/// <summary>The cache generations of the patron context: one per patron and one for every list of patrons.</summary>
public static class PatronCache
{
    public const string AllLists = "gen:patrons";

    public static string Of(PatronId id) => $"gen:patron:{id}";
}
