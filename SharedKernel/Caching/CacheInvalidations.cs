using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;

namespace Library.SharedKernel.Caching;

/// <summary>
/// The cache generations a unit of work touched. Use cases record them; whoever commits the transaction flushes
/// them after the commit (the request pipeline, the message consumer, a scheduled job), so no reader can cache
/// data older than a change it could already see.
/// </summary>
public sealed class CacheInvalidations(QueryCache cache)
{
    private readonly HashSet<string> _generations = new(StringComparer.Ordinal);

    public void Touch(params string[] generations)
    {
        ArgumentNullException.ThrowIfNull(generations);
        lock (_generations)
        {
            _generations.UnionWith(generations);
        }
    }

    /// <summary>
    /// Called by a use case right after its SaveChanges: flushes now if that save was the commit, otherwise leaves
    /// the flush to the owner of the surrounding transaction, which flushes after it commits.
    /// </summary>
    public Task AfterSaveAsync(DbContext db)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.Database.CurrentTransaction is null ? FlushAsync() : Task.CompletedTask;
    }

    public Task FlushAsync()
    {
        string[] pending;
        lock (_generations)
        {
            pending = [.. _generations];
            _generations.Clear();
        }

        return cache.InvalidateAsync(pending);
    }
}

public static class CachingExtensions
{
    /// <summary>Registers the query cache (requires AddRedisClient) with keys prefixed by the service's name.</summary>
    public static IServiceCollection AddQueryCache(this IServiceCollection services, string prefix)
    {
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<QueryCache>(sp, prefix));
        services.AddScoped<CacheInvalidations>();

        // An open breaker means reads go straight to PostgreSQL: the service still serves, degraded (SPEC §6).
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            "query-cache",
            sp => new CacheBreakerHealthCheck(sp.GetRequiredService<QueryCache>()),
            HealthStatus.Degraded,
            [Microsoft.Extensions.Hosting.Extensions.ReadyTag]));
        return services;
    }

    /// <summary>Flushes the request's invalidations after everything inside it (including the idempotency transaction) committed.</summary>
    public static IApplicationBuilder UseCacheInvalidation(this IApplicationBuilder app)
        => app.Use(async (HttpContext context, RequestDelegate next) =>
        {
            try
            {
                await next(context);
            }
            finally
            {
                if (context.RequestServices.GetService<CacheInvalidations>() is { } invalidations)
                {
                    await invalidations.FlushAsync();
                }
            }
        });
}

internal sealed class CacheBreakerHealthCheck(QueryCache cache) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(cache.BreakerState.CircuitState == Polly.CircuitBreaker.CircuitState.Closed
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded("The cache breaker is open; reads are served from the database."));
}
