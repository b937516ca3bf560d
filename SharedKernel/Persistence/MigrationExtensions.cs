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
    /// may still be starting, so transient failures are retried for a while; EF Core's migration lock keeps
    /// replicas that start together from migrating twice.
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Database of {Context} is up to date")]
    private static partial void LogMigrated(ILogger logger, string context);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database of {Context} not reachable yet; retrying in {DelayMs} ms")]
    private static partial void LogRetry(ILogger logger, string context, double delayMs);
}
