using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Library.SharedKernel.Persistence;

public static partial class MigrationExtensions
{
    /// <summary>
    /// Applies pending migrations with the service's own role before the service takes traffic. The database
    /// may still be starting, so transient failures are retried for a while. Replicas that start together take
    /// turns: each migrates under a PostgreSQL advisory lock of its context, held on a connection of its own (EF
    /// Core's own lock did not stop two first-time migrations of one database from racing: "relation already
    /// exists"), so the second finds nothing left to do. The lock's connection is never pooled: a pooled
    /// connection's reset waits for its next use, so closing it to the pool would leave the lock held by an idle
    /// session and a replica starting next to it would wait out its command timeout.
    /// </summary>
    public static async Task MigrateDatabaseAsync<TContext>(this WebApplication app, TimeSpan? timeout = null)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Library.Migrations");
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await using var scope = app.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<TContext>();
                var unpooled = new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString()) { Pooling = false };
                await using var lockConnection = new NpgsqlConnection(unpooled.ConnectionString);
                await lockConnection.OpenAsync();
                await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", lockConnection))
                {
                    take.Parameters.AddWithValue("key", MigrationLockKey<TContext>());
                    await take.ExecuteNonQueryAsync();
                }

                // Released when the session ends, whatever happens here.
                await db.Database.MigrateAsync();
                LogMigrated(logger, typeof(TContext).Name);
                return;
            }
            catch (NpgsqlException e) when (e.IsTransient && DateTime.UtcNow < deadline)
            {
                LogRetry(logger, typeof(TContext).Name, delay.TotalMilliseconds);
                await Task.Delay(delay);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
            }
        }
    }

    /// <summary>The advisory lock key migrations of <typeparamref name="TContext"/> take: FNV-1a of the context's name, the same in every replica and every run.</summary>
    public static long MigrationLockKey<TContext>()
        where TContext : DbContext
    {
        var name = typeof(TContext).FullName!;
        var hash = 14695981039346656037UL;
        foreach (var c in name)
        {
            hash = unchecked((hash ^ c) * 1099511628211UL);
        }

        return unchecked((long)hash);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database of {Context} is up to date")]
    private static partial void LogMigrated(ILogger logger, string context);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database of {Context} not reachable yet; retrying in {DelayMs} ms")]
    private static partial void LogRetry(ILogger logger, string context, double delayMs);
}
