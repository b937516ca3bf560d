using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Library.SharedKernel.Idempotency;

/// <summary>
/// The receipt a request with an Idempotency-Key owes, until it is claimed: the unit of work's first write
/// (<c>SaveChanges</c>) inserts it first, in the transaction that then carries the change, so the key is held only
/// while there is something to hold it for (never across a call to another service before it).
/// </summary>
public sealed class PendingReceipt(string principal, string method, string route, string key, byte[] requestHash, DateTimeOffset createdAt)
{
    /// <summary>The savepoint after the claim: a problem answer rolls the change back to it and keeps the receipt.</summary>
    internal const string ClaimedSavepoint = "idempotency_claimed";

    public string Principal { get; } = principal;

    public string Method { get; } = method;

    public string Route { get; } = route;

    public string Key { get; } = key;

    public byte[] RequestHash { get; } = requestHash;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    /// <summary>Whether this request holds the key: its receipt row is inserted in the open transaction.</summary>
    public bool Claimed { get; private set; }

    /// <summary>
    /// Inserts the receipt in the context's transaction (starting one the middleware will finish). The lock timeout
    /// covers this insert only: a twin still in flight holds the row, and waiting longer than the bound answers 409.
    /// Throws <see cref="IdempotencyKeyTakenException"/> when the key is (or just was) someone else's.
    /// </summary>
    public async Task ClaimAsync(DbContext db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (Claimed)
        {
            return;
        }

        if (db.Database.CurrentTransaction is null)
        {
            await db.Database.BeginTransactionAsync(cancellationToken);
        }

        // One round trip: the bounded lock wait, the insert, the default bound again and the savepoint a problem
        // answer rolls back to. Only the insert counts rows, so the sum is whether the key was free.
        int inserted;
        try
        {
            inserted = await db.Database.ExecuteSqlRawAsync(
                IdempotencySql.For(db).Claim,
                [Principal, Method, Route, Key, RequestHash, CreatedAt],
                cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            throw new IdempotencyKeyTakenException(inProgress: true);
        }

        if (inserted == 0)
        {
            throw new IdempotencyKeyTakenException(inProgress: false);
        }

        Claimed = true;
    }
}

/// <summary>The key is another request's: completed (replay its answer) or still in flight past the lock bound (409).</summary>
public sealed class IdempotencyKeyTakenException(bool inProgress)
    : Exception(inProgress ? "A request with this Idempotency-Key is still in flight." : "This Idempotency-Key was used by a request that completed.")
{
    public bool InProgress { get; } = inProgress;
}

/// <summary>The receipts table's statements for one context (its name comes from the EF model, values are parameters).</summary>
internal sealed class IdempotencySql
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, IdempotencySql> s_byContext = new();

    private IdempotencySql(string table)
    {
        Claim = "SET LOCAL lock_timeout = '5s'; INSERT INTO " + table + " (principal, method, route, key, request_hash, created_at) VALUES ({0}, {1}, {2}, {3}, {4}, {5}) ON CONFLICT DO NOTHING;"
            + " SET LOCAL lock_timeout TO DEFAULT; SAVEPOINT " + PendingReceipt.ClaimedSavepoint;
        ClaimCompleted = "SET LOCAL lock_timeout = '5s'; INSERT INTO " + table + " (principal, method, route, key, request_hash, created_at, status_code, content_type, location, body) VALUES ({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}) ON CONFLICT DO NOTHING";
        Complete = "UPDATE " + table + " SET status_code = {0}, content_type = {1}, location = {2}, body = {3} WHERE principal = {4} AND method = {5} AND route = {6} AND key = {7}";
    }

    public string Claim { get; }

    /// <summary>A request that wrote nothing claims the key and stores its answer in one statement.</summary>
    public string ClaimCompleted { get; }

    public string Complete { get; }

    public static IdempotencySql For(DbContext db) => s_byContext.GetOrAdd(db.GetType(), _ => new IdempotencySql(QualifiedTableName(db)));

    private static string QualifiedTableName(DbContext db)
    {
        var entity = db.Model.FindEntityType(typeof(IdempotencyReceipt))
            ?? throw new InvalidOperationException($"{db.GetType().Name} does not map idempotency receipts; call modelBuilder.AddIdempotencyReceipts().");
        var schema = entity.GetSchema();
        var name = entity.GetTableName();
        return schema is null ? $"\"{name}\"" : $"\"{schema}\".\"{name}\"";
    }
}

internal static class TransactionExtensions
{
    public static Task RollbackToClaimAsync(this IDbContextTransaction transaction, CancellationToken cancellationToken)
        => transaction.RollbackToSavepointAsync(PendingReceipt.ClaimedSavepoint, cancellationToken);
}
