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
    /// exists"), so the second finds nothing left to do.
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
                await using var lockConnection = new NpgsqlConnection(db.Database.GetConnectionString());
                await lockConnection.OpenAsync();
                await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", lockConnection))
                {
                    take.Parameters.AddWithValue("key", LockKey(typeof(TContext).FullName!));
                    await take.ExecuteNonQueryAsync();
                }

                // Released when the connection closes, whatever happens here.
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

    /// <summary>A stable 64-bit key per context (FNV-1a of its name): the same in every replica and every run.</summary>
    private static long LockKey(string name)
    {
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
