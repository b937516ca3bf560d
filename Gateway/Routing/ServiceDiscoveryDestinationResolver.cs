using System.Net;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.ServiceDiscovery;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace Library.Gateway.Routing;

/// <summary>
/// Turns configured destinations such as <c>http://catalog-api</c> into the addresses service discovery
/// knows (from <c>services__catalog-api__http__0</c> under the AppHost, DNS under Kubernetes). YARP re-resolves
/// when discovery signals a change, so replicas come and go without a restart.
/// </summary>
internal sealed class ServiceDiscoveryDestinationResolver(ServiceEndpointResolver resolver) : IDestinationResolver
{
    public async ValueTask<ResolvedDestinationCollection> ResolveDestinationsAsync(IReadOnlyDictionary<string, DestinationConfig> destinations, CancellationToken cancellationToken)
    {
        var resolved = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        var changeTokens = new List<IChangeToken>();
        foreach (var (name, destination) in destinations)
        {
            var address = new Uri(destination.Address);
            var source = await resolver.GetEndpointsAsync($"{address.Scheme}://{address.Authority}", cancellationToken);
            if (source.ChangeToken is { } token)
            {
                changeTokens.Add(token);
            }

            var index = 0;
            foreach (var endpoint in source.Endpoints)
            {
                var resolvedAddress = ToAddress(address, endpoint.EndPoint);
                resolved[$"{name}[{index++}]"] = destination with { Address = resolvedAddress, Host = destination.Host ?? address.Authority };
            }
        }

        return new ResolvedDestinationCollection(resolved, changeTokens.Count == 0 ? null : new CompositeChangeToken(changeTokens));
    }

    private static string ToAddress(Uri configured, EndPoint endpoint)
    {
        var authority = endpoint switch
        {
            IPEndPoint ip => ip.ToString(),
            DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
            UriEndPoint uri => uri.Uri.Authority,
            _ => endpoint.ToString()!,
        };
        var scheme = endpoint is UriEndPoint u ? u.Uri.Scheme : configured.Scheme;
        return new UriBuilder(configured) { Scheme = scheme, Host = authority.Split(':')[0], Port = int.Parse(authority.Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture) }.Uri.ToString();
    }
}
