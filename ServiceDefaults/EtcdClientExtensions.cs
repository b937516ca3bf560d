using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Registers the etcd endpoint (<c>ConnectionStrings:etcd</c>, an http URL) with a health check over etcd's
/// own /health. Live configuration from etcd builds on this registration.
/// </summary>
public static class EtcdClientExtensions
{
    public const string HttpClientName = "etcd";

    public static void AddEtcdClient(this IHostApplicationBuilder builder, string connectionName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var endpoint = new Uri(ConnectionStrings.Require(builder.Configuration, connectionName));
        builder.Services.AddHttpClient(HttpClientName, client =>
        {
            client.BaseAddress = endpoint;
            client.Timeout = TimeSpan.FromSeconds(3);
        });
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            connectionName,
            sp => new EtcdHealthCheck(sp.GetRequiredService<IHttpClientFactory>()),
            // Without etcd the service runs on the configuration it last read: degraded, still serving (SPEC §6).
            HealthStatus.Degraded,
            [Extensions.ReadyTag],
            TimeSpan.FromSeconds(3)));
    }

    private sealed class EtcdHealthCheck(IHttpClientFactory clients) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                using var response = await clients.CreateClient(HttpClientName).GetAsync(new Uri("/health", UriKind.Relative), cancellationToken);
                return response.IsSuccessStatusCode ? HealthCheckResult.Healthy() : new HealthCheckResult(context.Registration.FailureStatus, "etcd reports unhealthy.");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, "etcd is unreachable.");
            }
        }
    }
}
