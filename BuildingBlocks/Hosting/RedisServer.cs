using System.Net.Sockets;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Library.Hosting;

/// <summary>
/// redis-server from the Debian package, loopback only, with a password (an Aspire secret parameter) and no
/// persistence: it holds caches, counters and the shared copy of the deny-list, which the services rebuild.
/// The connection string is StackExchange.Redis's <c>host:port,password=…</c>.
/// </summary>
public sealed class RedisServerResource(string name, string command, ParameterResource password, string dataDirectory)
    : ExecutableResource(name, command, dataDirectory), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";

    public ParameterResource PasswordParameter { get; } = password;

    public string DataDirectory { get; } = dataDirectory;

    public EndpointReference PrimaryEndpoint => new(this, PrimaryEndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)},password={PasswordParameter}");

    internal string ConfigFile => Path.Combine(DataDirectory, "redis.conf");
}

public static class RedisServerBuilderExtensions
{
    /// <summary>Adds a Redis server (<c>Redis:Binary</c> overrides the Debian package's redis-server).</summary>
    public static IResourceBuilder<RedisServerResource> AddRedisServer(this IDistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var binary = ServerBinary.Require(builder.Configuration["Redis:Binary"] is { Length: > 0 } configured ? configured : "redis-server", "redis-server");
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false, minLower: 1, minUpper: 1, minNumeric: 1);
        builder.AddResource(password);
        var redis = new RedisServerResource(name, binary, password, ServerFolders.For(builder, name));

        // The password goes into a config file (mode 600), not argv, where any local user could read it with ps.
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(redis, async (_, cancellationToken) =>
        {
            await File.WriteAllTextAsync(redis.ConfigFile, $"requirepass {await password.GetValueAsync(cancellationToken)}\n", cancellationToken);
            File.SetUnixFileMode(redis.ConfigFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        });

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheckKey, _ => new RedisPingHealthCheck(redis), HealthStatus.Unhealthy, tags: null));

        return builder.AddResource(redis)
            .WithServerEndpoint(RedisServerResource.PrimaryEndpointName)
            .WithArgs(context =>
            {
                context.Args.Add(redis.ConfigFile);
                context.Args.Add("--port");
                context.Args.Add(redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                foreach (var arg in new[] { "--bind", "127.0.0.1", "--dir", redis.DataDirectory, "--save", string.Empty, "--appendonly", "no", "--daemonize", "no" })
                {
                    context.Args.Add(arg);
                }
            })
            .WithIconName("Memory")
            .WithHealthCheck(healthCheckKey);
    }

    /// <summary>AUTH and PING over the resource's endpoint: PONG means it serves (not loading, password right).</summary>
    private sealed class RedisPingHealthCheck(RedisServerResource redis) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var endpoint = redis.PrimaryEndpoint;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(3));
                using var client = new TcpClient();
                await client.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token);
                var stream = client.GetStream();
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"AUTH {await redis.PasswordParameter.GetValueAsync(timeout.Token)}\r\nPING\r\n"), timeout.Token);
                var buffer = new byte[256];
                var received = new StringBuilder();
                while (!received.ToString().Contains("PONG", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer, timeout.Token);
                    if (read == 0)
                    {
                        return HealthCheckResult.Unhealthy("Redis closed the connection.");
                    }

                    received.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    if (received.ToString().Contains("-ERR", StringComparison.Ordinal) || received.ToString().Contains("-LOADING", StringComparison.Ordinal))
                    {
                        return HealthCheckResult.Unhealthy(received.ToString().Trim());
                    }
                }

                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy(e.Message);
            }
        }
    }
}
