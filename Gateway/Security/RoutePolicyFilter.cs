using Yarp.ReverseProxy.Configuration;

namespace Library.Gateway.Security;

/// <summary>
/// Every route must say who may call it (SPEC §4's "Who" column): a route without an AuthorizationPolicy fails
/// the configuration load, so a new route cannot silently inherit anything.
/// </summary>
public sealed class RoutePolicyFilter : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel) => ValueTask.FromResult(cluster);

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (string.IsNullOrWhiteSpace(route.AuthorizationPolicy))
        {
            throw new InvalidOperationException($"Gateway route '{route.RouteId}' has no AuthorizationPolicy; every route must declare one (anonymous, member, librarian or admin).");
        }

        if (route.Match.Methods is not { Count: > 0 })
        {
            throw new InvalidOperationException($"Gateway route '{route.RouteId}' matches every method; name the methods it serves.");
        }

        return ValueTask.FromResult(route);
    }
}
