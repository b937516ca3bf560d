using System.Globalization;
using System.Net;
using Library.SharedKernel.Http;
using Yarp.ReverseProxy.Model;

namespace Library.Gateway.RateLimiting;

/// <summary>
/// Applies the general per-IP budget to every request and a route's own budget (route metadata
/// <c>RateLimitPolicy</c>) on top. Runs after routing and before authentication, so floods of bad tokens are
/// turned away without validating them. The client is the connection's address, or the forwarded address when
/// the connection comes from a configured known proxy (UseForwardedHeaders runs first). Health probes are exempt.
/// </summary>
public sealed class RateLimitingMiddleware(RequestDelegate next, DistributedRateLimiter limiter)
{
    public const string MetadataKey = "RateLimitPolicy";

    public async Task InvokeAsync(HttpContext context)
    {
        // Probes (Kubernetes, the orchestrator, a load balancer) come often from few addresses; a limit must never fail them.
        if (Microsoft.Extensions.Hosting.Extensions.IsProbePath(context.Request.Path))
        {
            await next(context);
            return;
        }

        var client = ClientOf(context.Connection.RemoteIpAddress);
        var decision = await limiter.AcquireAsync(RateLimitOptions.General, client);
        if (decision.Allowed && context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.Metadata is { } metadata
            && metadata.TryGetValue(MetadataKey, out var policy))
        {
            decision = await limiter.AcquireAsync(policy, client);
        }

        if (decision.Allowed)
        {
            await next(context);
            return;
        }

        var seconds = Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Problems.Create(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited, "Too many requests.", $"Retry after {seconds} s.")
            .ExecuteAsync(context);
    }

    /// <summary>An IPv4 address, or an IPv6 client's /64 (one subscriber's whole prefix: rotating addresses in it buys nothing).</summary>
    private static string ClientOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }

        return address.ToString();
    }
}
