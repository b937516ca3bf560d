using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Library.Hosting;

/// <summary>
/// A RabbitMQ node from the Debian package with its own folder, a user whose password is an Aspire secret
/// parameter, and every port on loopback, including its own Erlang port mapper (epmd): otherwise the node would
/// fork an <c>epmd -daemon</c> on all interfaces that outlives it. The connection string is
/// <c>amqp://user:password@host:port</c>.
/// </summary>
public sealed class RabbitMQServerResource(string name, ParameterResource password, string dataDirectory)
    : ExecutableResource(name, "bash", dataDirectory), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";
    internal const string DistributionEndpointName = "dist";
    internal const string EpmdEndpointName = "epmd";
    internal const string User = "library";

    public ParameterResource PasswordParameter { get; } = password;

    public string DataDirectory { get; } = dataDirectory;

    public EndpointReference PrimaryEndpoint => new(this, PrimaryEndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"amqp://{User}:{PasswordParameter}@{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}");
}

public static class RabbitMQServerBuilderExtensions
{
    // The node and its port mapper are children of one supervising shell, each with --pdeathsig: a hard kill of
    // the PID Aspire reports takes both down, and nothing outlives the resource. SIGTERM (Aspire's stop) is passed
    // to the Erlang VM, which stops the broker gracefully; epmd goes when the shell exits.
    private static readonly string Wrapper = SupervisingShell.Script("TERM", before: """
        setpriv --pdeathsig KILL "$EPMD" -port "$ERL_EPMD_PORT" -address 127.0.0.1 &
        for _ in $(seq 50); do "$EPMD" -port "$ERL_EPMD_PORT" -names >/dev/null 2>&1 && break; sleep 0.1; done
        """);

    /// <summary>
    /// Adds a RabbitMQ node. <c>RabbitMQ:Binary</c> and <c>RabbitMQ:Epmd</c> override the Debian packages'
    /// binaries. Boot takes about 6 s of CPU.
    /// </summary>
    public static IResourceBuilder<RabbitMQServerResource> AddRabbitMQServer(this IDistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var binary = ServerBinary.Require(builder.Configuration["RabbitMQ:Binary"] is { Length: > 0 } b ? b : "/usr/lib/rabbitmq/bin/rabbitmq-server", "rabbitmq-server");
        var epmd = ServerBinary.Require(builder.Configuration["RabbitMQ:Epmd"] is { Length: > 0 } e ? e : "epmd", "erlang-base");
        ServerBinary.Require("setpriv", "util-linux");
        var folder = ServerFolders.For(builder, name);
        foreach (var sub in new[] { "home", "mnesia" })
        {
            Directory.CreateDirectory(Path.Combine(folder, sub));
        }

        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false, minLower: 1, minUpper: 1, minNumeric: 1);
        builder.AddResource(password);
        var rabbit = new RabbitMQServerResource(name, password, folder);
        var configFile = Path.Combine(folder, "rabbitmq.conf");

        // The node seeds its user from the config file when its database is new (a restart keeps both).
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(rabbit, async (_, cancellationToken) =>
        {
            await File.WriteAllTextAsync(configFile, $"""
                default_vhost = /
                default_user = {RabbitMQServerResource.User}
                default_pass = {await password.GetValueAsync(cancellationToken)}
                default_user_tags.administrator = true
                default_permissions.configure = .*
                default_permissions.read = .*
                default_permissions.write = .*
                loopback_users = none
                log.console = true
                log.console.level = warning
                log.file = false

                """, cancellationToken);
            File.SetUnixFileMode(configFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await File.WriteAllTextAsync(Path.Combine(folder, "enabled_plugins"), "[].", cancellationToken);
        });

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheckKey, _ => new AmqpHandshakeHealthCheck(rabbit), HealthStatus.Unhealthy, tags: null));

        var node = $"{name}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
        return builder.AddResource(rabbit)
            .WithServerEndpoint(RabbitMQServerResource.PrimaryEndpointName)
            .WithServerEndpoint(RabbitMQServerResource.DistributionEndpointName)
            .WithServerEndpoint(RabbitMQServerResource.EpmdEndpointName)
            .WithArgs("-c", Wrapper, "rabbitmq-wrapper", "setpriv", "--pdeathsig", "KILL", binary)
            .WithEnvironment(context =>
            {
                var env = context.EnvironmentVariables;
                env["EPMD"] = epmd;
                env["HOME"] = Path.Combine(folder, "home");
                env["RABBITMQ_NODENAME"] = $"{node}@localhost";
                env["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
                env["RABBITMQ_NODE_PORT"] = rabbit.PrimaryEndpoint.Property(EndpointProperty.TargetPort);
                env["RABBITMQ_DIST_PORT"] = rabbit.GetEndpoint(RabbitMQServerResource.DistributionEndpointName).Property(EndpointProperty.TargetPort);
                env["ERL_EPMD_PORT"] = rabbit.GetEndpoint(RabbitMQServerResource.EpmdEndpointName).Property(EndpointProperty.TargetPort);
                env["ERL_EPMD_ADDRESS"] = "127.0.0.1";
                env["RABBITMQ_CONF_ENV_FILE"] = "/dev/null";
                env["RABBITMQ_CONFIG_FILE"] = Path.Combine(folder, "rabbitmq");
                env["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(folder, "enabled_plugins");
                env["RABBITMQ_MNESIA_BASE"] = Path.Combine(folder, "mnesia");
                env["RABBITMQ_LOG_BASE"] = folder;
                env["RABBITMQ_LOGS"] = "-";

                // Never start an epmd of its own (it would listen on every interface and outlive the node).
                env["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}";

                // The start script then execs the Erlang VM (no second shell whose death would orphan it); the VM
                // itself turns SIGTERM into a graceful stop.
                env["RUNNING_UNDER_SYSTEMD"] = "true";
            })
            .WithIconName("Mailbox")
            .WithHealthCheck(healthCheckKey);
    }

    /// <summary>A full AMQP handshake with the node's user (a bare TCP probe makes the broker log a warning each time).</summary>
    private sealed class AmqpHandshakeHealthCheck(RabbitMQServerResource rabbit) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var factory = new ConnectionFactory
                {
                    Uri = new Uri((await rabbit.ConnectionStringExpression.GetValueAsync(cancellationToken))!),
                    RequestedConnectionTimeout = TimeSpan.FromSeconds(3),
                    AutomaticRecoveryEnabled = false,
                    ClientProvidedName = "aspire-health-check",
                };
                await using var connection = await factory.CreateConnectionAsync(cancellationToken);
                return connection.IsOpen ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("The connection did not open.");
            }
            catch (Exception e) when (e is BrokerUnreachableException or OperationInterruptedException or IOException or TimeoutException or System.Net.Sockets.SocketException)
            {
                return HealthCheckResult.Unhealthy(e.Message);
            }
        }
    }
}
