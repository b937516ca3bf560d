using System.Net.Http.Json;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Library.Hosting;

/// <summary>
/// A single-member etcd from the Debian package (election timings tuned for fast single-node restarts). The
/// connection string is its client URL, <c>http://host:port</c>; keys seeded with <see cref="EtcdServerBuilderExtensions.WithSeed"/>
/// are written once it is ready, only where absent, so a restart keeps what operators changed.
/// </summary>
public sealed class EtcdServerResource(string name, string command, string dataDirectory)
    : ExecutableResource(name, command, dataDirectory), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "http";
    internal const string PeerEndpointName = "peer";

    public string DataDirectory { get; } = dataDirectory;

    public EndpointReference PrimaryEndpoint => new(this, PrimaryEndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.Url)}");

    /// <summary>Keys put into etcd when it is ready, unless they already exist.</summary>
    public IDictionary<string, string> Seed { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);
}

public static class EtcdServerBuilderExtensions
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(3) };

    /// <summary>Adds an etcd server (<c>Etcd:Binary</c> overrides the Debian package's etcd).</summary>
    public static IResourceBuilder<EtcdServerResource> AddEtcdServer(this IDistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var binary = ServerBinary.Require(builder.Configuration["Etcd:Binary"] is { Length: > 0 } configured ? configured : "etcd", "etcd-server");
        var etcd = new EtcdServerResource(name, binary, ServerFolders.For(builder, name));
        builder.Eventing.Subscribe<ResourceReadyEvent>(etcd, (_, cancellationToken) => SeedAsync(etcd, cancellationToken));

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheckKey, _ => new EtcdHealthCheck(etcd), HealthStatus.Unhealthy, tags: null));

        return builder.AddResource(etcd)
            .WithServerEndpoint(EtcdServerResource.PrimaryEndpointName, "http")
            .WithServerEndpoint(EtcdServerResource.PeerEndpointName, "http")
            .WithArgs(context =>
            {
                var client = ReferenceExpression.Create($"http://127.0.0.1:{etcd.PrimaryEndpoint.Property(EndpointProperty.TargetPort)}");
                var peer = ReferenceExpression.Create($"http://127.0.0.1:{etcd.GetEndpoint(EtcdServerResource.PeerEndpointName).Property(EndpointProperty.TargetPort)}");
                object[] args =
                [
                    "--name", name, "--data-dir", Path.Combine(etcd.DataDirectory, "data"),
                    "--listen-client-urls", client, "--advertise-client-urls", client,
                    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                    "--initial-cluster", ReferenceExpression.Create($"{name}={peer}"), "--initial-cluster-state", "new", "--initial-cluster-token", name,
                    "--heartbeat-interval", "10", "--election-timeout", "100",
                    // Watchers hear from etcd at least this often, so a silent stream means a broken one.
                    "--experimental-watch-progress-notify-interval", "5s",
                    "--logger", "zap", "--log-level", "warn", "--log-outputs", "stdout",
                ];
                foreach (var arg in args)
                {
                    context.Args.Add(arg);
                }
            })
            .WithIconName("BookDatabase")
            .WithHealthCheck(healthCheckKey);
    }

    /// <summary>The live configuration's defaults: written when etcd is ready, only where a key is absent.</summary>
    public static IResourceBuilder<EtcdServerResource> WithSeed(this IResourceBuilder<EtcdServerResource> etcd, IEnumerable<KeyValuePair<string, string>> keys)
    {
        ArgumentNullException.ThrowIfNull(etcd);
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var (key, value) in keys)
        {
            etcd.Resource.Seed[key] = value;
        }

        return etcd;
    }

    private static async Task SeedAsync(EtcdServerResource etcd, CancellationToken cancellationToken)
    {
        var baseAddress = (await etcd.ConnectionStringExpression.GetValueAsync(cancellationToken))!.TrimEnd('/');
        foreach (var (key, value) in etcd.Seed)
        {
            var encodedKey = B64(key);
            var txn = new
            {
                compare = new[] { new { key = encodedKey, target = "CREATE", result = "EQUAL", create_revision = "0" } },
                success = new[] { new { request_put = new { key = encodedKey, value = B64(value) } } },
            };
            using var response = await s_http.PostAsJsonAsync(new Uri($"{baseAddress}/v3/kv/txn"), txn, cancellationToken);
            response.EnsureSuccessStatusCode();
        }
    }

    private static string B64(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));

    private sealed class EtcdHealthCheck(EtcdServerResource etcd) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var baseAddress = (await etcd.ConnectionStringExpression.GetValueAsync(cancellationToken))!.TrimEnd('/');
                var body = await s_http.GetStringAsync(new Uri($"{baseAddress}/health"), cancellationToken);
                return body.Contains("\"health\":\"true\"", StringComparison.Ordinal) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(body);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return HealthCheckResult.Unhealthy(e.Message);
            }
        }
    }
}
