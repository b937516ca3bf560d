using Library.Patron.Infrastructure.Persistence;
using Library.SharedKernel.Security;
using Microsoft.EntityFrameworkCore;

namespace Library.Patron.Infrastructure.Security;

/// <summary>A revocation (a logout, a revoked family) that could not be shared through Redis yet.</summary>
public sealed class PendingRevocation
{
    public required string Entry { get; init; }

    /// <summary>Until when it denies (Unix milliseconds): past it the token it covers has expired anyway.</summary>
    public required long UntilUnixMs { get; set; }
}

/// <summary>
/// Patron is where revocations are made, so its backlog is durable: a logout made while Redis is down is kept in
/// the patron schema until it has been shared, and a restart in the meantime neither forgets it nor lets the token
/// through here (the list reloads it at start).
/// </summary>
public sealed class DatabaseRevocationBacklog(IServiceScopeFactory scopes, TimeProvider timeProvider) : IRevocationBacklog
{
    public async Task AddAsync(IReadOnlyList<KeyValuePair<string, long>> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PatronDbContext>();
        foreach (var (entry, until) in entries)
        {
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"INSERT INTO patron.pending_revocations (entry, until_unix_ms) VALUES ({entry}, {until}) ON CONFLICT (entry) DO UPDATE SET until_unix_ms = GREATEST(pending_revocations.until_unix_ms, excluded.until_unix_ms)",
                cancellationToken);
        }
    }

    public async Task<IReadOnlyList<KeyValuePair<string, long>>> ListAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PatronDbContext>();
        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        await db.PendingRevocations.Where(r => r.UntilUnixMs <= now).ExecuteDeleteAsync(cancellationToken);
        return [.. (await db.PendingRevocations.AsNoTracking().ToListAsync(cancellationToken)).Select(r => KeyValuePair.Create(r.Entry, r.UntilUnixMs))];
    }

    public async Task RemoveAsync(IReadOnlyList<string> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PatronDbContext>();
        await db.PendingRevocations.Where(r => entries.Contains(r.Entry)).ExecuteDeleteAsync(cancellationToken);
    }
}
