using Aspire.Npgsql.EntityFrameworkCore.PostgreSQL;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every Library service sets on Aspire's official client integrations, passed to them by name at the call
/// site so each Program shows the integration it uses:
/// <code>
/// builder.AddNpgsqlDbContext&lt;CatalogDbContext&gt;(ResourceNames.CatalogDb, ClientIntegrations.Npgsql, ...);
/// builder.AddRedisClient(ResourceNames.Redis, configureOptions: ClientIntegrations.Redis);
/// builder.AddRabbitMQClient(ResourceNames.EventBus, configureConnectionFactory: ClientIntegrations.RabbitMQ);
/// </code>
/// Their health checks are made readiness checks by <see cref="Extensions.AddDefaultHealthChecks"/>.
/// </summary>
public static class ClientIntegrations
{
    /// <summary>The health check names the integrations register (Redis's and RabbitMQ's; EF Core's is the DbContext's type name).</summary>
    public const string RedisHealthCheck = "StackExchange.Redis";
    public const string RabbitMQHealthCheck = "RabbitMQ.Client";

    /// <summary>
    /// No retrying execution strategy: the idempotency middleware, the consumers, the relay and the jobs open
    /// their own transactions, which EF's retrying strategy refuses (their callers retry whole units of work
    /// instead). And automatic statement preparation: on 2 cores it halves PostgreSQL's CPU per query
    /// (docs/benchmarks.md). And no session reset when a connection goes back to the pool: EF opens and closes the
    /// connection around every query outside a transaction, and each reset is seven statements for PostgreSQL
    /// (<c>RESET ALL; CLOSE ALL; UNLISTEN *; … DISCARD TEMP</c>: 8.6 per borrow saga, more than any statement of
    /// the saga itself). Nothing of ours leaves session state on a pooled connection: settings are <c>SET LOCAL</c>,
    /// and the two session-scoped uses (the migration's advisory lock, the relay's LISTEN) have unpooled connections
    /// of their own. An explicit setting in the connection string still wins.
    /// </summary>
    public static void Npgsql(NpgsqlEntityFrameworkCorePostgreSQLSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.DisableRetry = true;
        if (settings.ConnectionString is not { Length: > 0 } connectionString)
        {
            return;
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            (builder.MaxAutoPrepare, builder.AutoPrepareMinUsages) = (32, 2);
        }

        if (!connectionString.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase))
        {
            builder.NoResetOnClose = true;
        }

        settings.ConnectionString = builder.ConnectionString;
    }

    /// <summary>
    /// Never block or fail startup on Redis, and fail fast while it is unreachable (commands fail at once instead
    /// of queueing for the timeout): the query cache and the limiters fall back at once and their breaker opens.
    /// </summary>
    public static void Redis(ConfigurationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.AsyncTimeout = Math.Min(options.AsyncTimeout, 1000);
        options.ConnectTimeout = Math.Min(options.ConnectTimeout, 2000);
    }

    /// <summary>The connection recovers by itself within a second of the broker's return, with its topology.</summary>
    public static void RabbitMQ(ConnectionFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        factory.AutomaticRecoveryEnabled = true;
        factory.TopologyRecoveryEnabled = true;
        factory.NetworkRecoveryInterval = TimeSpan.FromSeconds(1);
        factory.ClientProvidedName ??= AppDomain.CurrentDomain.FriendlyName;
    }

    /// <summary>
    /// Turns tracing and metrics of the integrations off where nothing collects them (no OTLP endpoint): recorded
    /// spans that nobody reads cost throughput (docs/benchmarks.md). Settings in configuration still win.
    /// </summary>
    internal static void DisableTelemetryWhereNotCollected(IHostApplicationBuilder builder)
    {
        if (Extensions.TelemetryIsExported(builder.Configuration))
        {
            return;
        }

        var defaults = new Dictionary<string, string?>();
        foreach (var section in new[] { "Aspire:Npgsql:EntityFrameworkCore:PostgreSQL", "Aspire:StackExchange:Redis", "Aspire:RabbitMQ:Client" })
        {
            defaults[$"{section}:DisableTracing"] = "true";
            defaults[$"{section}:DisableMetrics"] = "true";
        }

        // Lowest precedence: inserted before every other source.
        var sources = ((IConfigurationBuilder)builder.Configuration).Sources;
        sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = defaults });
    }

    /// <summary>The integrations' checks carry no tags; a service can serve only with them, so they are readiness checks.</summary>
    internal static void TagReadinessChecks(HealthCheckServiceOptions options)
    {
        foreach (var registration in options.Registrations)
        {
            if (registration.Tags.Count == 0)
            {
                registration.Tags.Add(Extensions.ReadyTag);
            }

            // Redis holds caches and counters whose loss the services survive: down means degraded (SPEC §6).
            if (registration.Name == RedisHealthCheck)
            {
                registration.FailureStatus = HealthStatus.Degraded;
            }

            if (registration.Timeout == System.Threading.Timeout.InfiniteTimeSpan)
            {
                registration.Timeout = TimeSpan.FromSeconds(3);
            }
        }
    }

    /// <summary>
    /// Drops the standard resilience handler ServiceDefaults gives every client, for a client that brings its own
    /// policy (a breaker outside its attempt timeouts) or must make exactly one attempt (a health probe).
    /// </summary>
    public static Microsoft.Extensions.DependencyInjection.IHttpClientBuilder WithoutStandardResilience(this Microsoft.Extensions.DependencyInjection.IHttpClientBuilder builder)
    {
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is experimental; this is its one use.
        return builder.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
    }
}
