using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;

using Library.SharedKernel.Resilience;

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
        // The "redis" breaker is listed at /health/circuits; open means reads go straight to PostgreSQL and
        // /health/ready says Degraded: the service still serves (SPEC §6).
        services.AddCircuitBreakers().DeclareBreaker(QueryCache.Breaker);
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<QueryCache>(sp, prefix));
        services.AddScoped<CacheInvalidations>();
        return services;
    }

    /// <summary>
    /// <c>GET /health/cache</c>: the query cache's hits, misses and bypasses (Redis unavailable) since start, and
    /// the hit ratio; what the cache benchmark reads. Anonymous like every probe; counts only.
    /// </summary>
    public static IEndpointRouteBuilder MapCacheStatsEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/cache", (QueryCache cache) =>
        {
            var (hits, misses, bypassed) = cache.Counters;
            var lookups = hits + misses + bypassed;
            return Results.Json(new { hits, misses, bypassed, hitRatio = lookups == 0 ? 0 : Math.Round((double)hits / lookups, 4) });
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
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
