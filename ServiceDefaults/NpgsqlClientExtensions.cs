using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;

namespace Microsoft.Extensions.Hosting;

/// <summary>Mirrors Aspire.Npgsql.EntityFrameworkCore.PostgreSQL: one pooled DbContext, a health check, tracing.</summary>
public static class NpgsqlClientExtensions
{
    public static void AddNpgsqlDbContext<TContext>(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<NpgsqlDbContextOptionsBuilder>? configureNpgsql = null,
        Action<DbContextOptionsBuilder>? configureDbContextOptions = null)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        var connectionString = ConnectionStrings.Require(builder.Configuration, connectionName);
        var csb = new NpgsqlConnectionStringBuilder(connectionString);

        // On 2 cores a small pool with automatic preparation halves PostgreSQL's CPU per query
        // (docs/benchmarks.md); an explicit setting in the connection string still wins.
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            csb.MaxAutoPrepare = 32;
            csb.AutoPrepareMinUsages = 2;
        }

        var dataSource = new NpgsqlDataSourceBuilder(csb.ConnectionString).Build();
        builder.Services.AddKeyedSingleton(connectionName, dataSource);
        builder.Services.AddSingleton(dataSource);
        builder.Services.AddDbContextPool<TContext>(options =>
        {
            options.UseNpgsql(dataSource, configureNpgsql);
            configureDbContextOptions?.Invoke(options);
        });

        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            connectionName,
            _ => new NpgsqlHealthCheck(dataSource),
            HealthStatus.Unhealthy,
            [Extensions.ReadyTag],
            TimeSpan.FromSeconds(5)));
    }

    private sealed class NpgsqlHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL is unreachable.");
            }
        }
    }
}
