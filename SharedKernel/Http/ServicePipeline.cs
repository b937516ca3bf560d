using Library.SharedKernel.Caching;
using Library.SharedKernel.Idempotency;
using Library.SharedKernel.Messaging;
using Library.SharedKernel.Persistence;
using Library.SharedKernel.Resilience;
using Library.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Library.SharedKernel.Http;

/// <summary>
/// The request pipeline and platform endpoints every Library service has, in their one correct order:
/// problem details, authentication and route policies, cache invalidation after commit, idempotency receipts;
/// then the probes (/health, /alive, /health/ready, /health/circuits, /health/cache).
/// </summary>
public static class ServicePipeline
{
    public static WebApplication UseLibraryServicePipeline<TDbContext>(this WebApplication app)
        where TDbContext : LibraryDbContext
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseApiDefaults();
        app.UseLibraryAuthentication();
        app.UseCacheInvalidation();
        app.UseIdempotencyReceipts<TDbContext>();
        app.MapDefaultEndpoints();
        app.MapCircuitsEndpoint();
        app.MapCacheStatsEndpoint();
        app.MapDeadLetterEndpoints();
        return app;
    }
}
