using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Library.Gateway.Health;

/// <summary>
/// What the gateway knows of the services it routes to: each destination's <c>/health/ready</c>, reported in the
/// gateway's <c>/health</c> (for operators) as Degraded when a service cannot serve. Never part of the gateway's own
/// readiness: a slow or stopped service must not take the gateway out of rotation (its other routes still work,
/// and YARP answers 503 for the one that does not); each service's own readiness takes it out of the gateway's.
/// </summary>
internal sealed class DownstreamHealthCheck(IHttpClientFactory clients, Uri serviceAddress) : IHealthCheck
{
    public const string HttpClientName = "downstream-health";

    /// <summary>Tag of these checks: in <c>/health</c> only.</summary>
    public const string Tag = "downstream";

    /// <summary>How long one probe may take; below the check's own timeout so that a slow answer is named as such.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(4);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = context.Registration.FailureStatus;
        try
        {
            using var response = await clients.CreateClient(HttpClientName).GetAsync(new Uri(serviceAddress, "/health/ready"), cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy()
                : new HealthCheckResult(status, $"{serviceAddress.Host} is not ready (it answered {(int)response.StatusCode}).");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // the probe of the gateway itself was cancelled: that says nothing about the service
        }
        catch (TaskCanceledException)
        {
            return new HealthCheckResult(status, $"{serviceAddress.Host} did not answer within {ProbeTimeout.TotalSeconds:0} s.");
        }
        catch (HttpRequestException e)
        {
            return new HealthCheckResult(status, $"{serviceAddress.Host} is unreachable ({e.HttpRequestError}).");
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
                HealthStatus.Degraded,
                [Tag],
                ProbeTimeout + TimeSpan.FromSeconds(1)));
        }

        return checks;
    }
}
