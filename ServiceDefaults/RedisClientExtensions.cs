using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>Mirrors Aspire.StackExchange.Redis: a singleton multiplexer that never blocks startup, and a health check.</summary>
public static class RedisClientExtensions
{
    public static void AddRedisClient(this IHostApplicationBuilder builder, string connectionName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = ConfigurationOptions.Parse(ConnectionStrings.Require(builder.Configuration, connectionName));
        options.AbortOnConnectFail = false;

        // While Redis is unreachable, commands fail at once instead of queueing for the full timeout: callers
        // (the query cache, limiters) fall back immediately and their breakers open within a few calls.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        var connectionString = ConnectionStrings.Require(builder.Configuration, connectionName);
        if (!connectionString.Contains("asyncTimeout", StringComparison.OrdinalIgnoreCase))
        {
            options.AsyncTimeout = 1000;
        }

        if (!connectionString.Contains("connectTimeout", StringComparison.OrdinalIgnoreCase))
        {
            options.ConnectTimeout = 2000;
        }
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(options));
        // Redis holds caches and counters whose loss the services survive: down means degraded, not dead (SPEC §6).
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            connectionName,
            sp => new RedisHealthCheck(sp.GetRequiredService<IConnectionMultiplexer>()),
            HealthStatus.Degraded,
            [Extensions.ReadyTag],
            TimeSpan.FromSeconds(3)));
    }

    private sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await redis.GetDatabase().PingAsync();
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, "Redis is unreachable.");
            }
        }
    }
}
