using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Library.Gateway.Health;

/// <summary>
/// The gateway is healthy only when every service it routes to is: each cluster's /health (which in turn
/// covers that service's database, cache, broker and configuration store) must answer 200.
/// </summary>
internal sealed class DownstreamHealthCheck(IHttpClientFactory clients, Uri serviceAddress) : IHealthCheck
{
    public const string HttpClientName = "downstream-health";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await clients.CreateClient(HttpClientName).GetAsync(new Uri(serviceAddress, "/health"), cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"{serviceAddress.Host} answered {(int)response.StatusCode}.");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{serviceAddress.Host} is unreachable.");
        }
    }

    /// <summary>One check per distinct destination address in the proxy configuration.</summary>
    public static IHealthChecksBuilder AddDownstreamHealthChecks(IHealthChecksBuilder checks, IConfiguration configuration)
    {
        var addresses = configuration.GetSection("ReverseProxy:Clusters").GetChildren()
            .SelectMany(cluster => cluster.GetSection("Destinations").GetChildren())
            .Select(destination => destination["Address"])
            .OfType<string>()
            .Distinct(StringComparer.OrdinalIgnoreCase);
        foreach (var address in addresses)
        {
            var uri = new Uri(address);
            checks.Add(new HealthCheckRegistration(
                uri.Host,
                sp => new DownstreamHealthCheck(sp.GetRequiredService<IHttpClientFactory>(), uri),
                HealthStatus.Unhealthy,
                [Extensions.ReadyTag],
                TimeSpan.FromSeconds(5)));
        }

        return checks;
    }
}
