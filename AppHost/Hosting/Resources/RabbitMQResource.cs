using System.Globalization;
using RabbitMQ.Client;

namespace Library.AppHost.Hosting.Resources;

/// <summary>
/// A fresh RabbitMQ node in the run folder with its own epmd, distribution and CLI ports on loopback, and a
/// per-run user seeded by the config file (only an empty node is seeded, which a fresh folder guarantees).
/// </summary>
public sealed class RabbitMQServerResource(string name) : ExecutableResource(name), IResourceWithConnectionString
{
    private const string User = "library";
    private string _binary = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    private string _epmdBinary = "epmd";
    private string _password = string.Empty;
    private string _directory = string.Empty;
    private int _distPort;
    private int _epmdPort;
    private int _ctlPort;
    private ManagedProcess? _epmd;

    public int Port { get; private set; }

    public string ConnectionString => $"amqp://{User}:{_password}@127.0.0.1:{Port}";

    public override string DisplayUrl => $"amqp://127.0.0.1:{Port}";

    // Boot costs ~6 s of CPU on 2 cores; give a loaded CI machine room.
    protected override TimeSpan StartTimeout => TimeSpan.FromSeconds(120);

    internal override void Allocate(OrchestratorContext context)
    {
        Port = context.Ports.Next();
        _distPort = context.Ports.Next();
        _epmdPort = context.Ports.Next();
        _ctlPort = context.Ports.Next();
        _password = NewSecret();
        _binary = context.Configuration["RabbitMQ:Binary"] ?? _binary;
        _epmdBinary = context.Configuration["RabbitMQ:Epmd"] ?? _epmdBinary;
        _directory = Path.Combine(context.RunDirectory, Name);
    }

    internal override void CheckPrerequisites(OrchestratorContext context)
    {
        _binary = RequireBinary(_binary, "rabbitmq-server");
        _epmdBinary = RequireBinary(_epmdBinary, "erlang-base");
    }

    protected override Task PrepareAsync(OrchestratorContext context, CancellationToken cancellationToken)
    {
        foreach (var sub in new[] { "home", "log", "mnesia" })
        {
            Directory.CreateDirectory(Path.Combine(_directory, sub));
        }

        var config = Path.Combine(_directory, "rabbitmq.conf");
        File.WriteAllText(config, $"""
            listeners.tcp.default = 127.0.0.1:{Port}
            default_vhost = /
            default_user = {User}
            default_pass = {_password}
            default_user_tags.administrator = true
            default_permissions.configure = .*
            default_permissions.read = .*
            default_permissions.write = .*
            loopback_users = none
            log.console = true
            log.console.level = warning
            log.file = false

            """);
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(Path.Combine(_directory, "enabled_plugins"), "[].");

        // A private epmd as our own child; otherwise erl starts 'epmd -daemon', which outlives the broker.
        _epmd = ManagedProcess.Start(Name + "-epmd", new ProcessSpec(_epmdBinary, ["-port", _epmdPort.ToString(CultureInfo.InvariantCulture), "-address", "127.0.0.1"],
            new Dictionary<string, string>(), _directory), context.Logs);
        context.Registry.Register(Name + "-epmd", _epmd);
        return Task.CompletedTask;
    }

    protected override ProcessSpec CreateProcessSpec(OrchestratorContext context) => new(_binary, [], Environment(), _directory)
    {
        StopTimeout = TimeSpan.FromSeconds(15),
    };

    protected override async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        if (!await PortAllocator.CanConnectAsync(Port, cancellationToken))
        {
            return false;
        }

        var factory = new ConnectionFactory { Uri = new Uri(ConnectionString), RequestedConnectionTimeout = TimeSpan.FromSeconds(3), AutomaticRecoveryEnabled = false };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        return connection.IsOpen;
    }

    internal override async Task StopAsync()
    {
        await base.StopAsync();
        if (_epmd is not null)
        {
            await _epmd.StopAsync();
        }
    }

    private Dictionary<string, string> Environment()
    {
        string P(int port) => port.ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string>
        {
            ["HOME"] = Path.Combine(_directory, "home"),
            ["RABBITMQ_NODENAME"] = $"{Name}-{System.Environment.ProcessId}-{Port}@localhost",
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = P(Port),
            ["RABBITMQ_DIST_PORT"] = P(_distPort),
            ["ERL_EPMD_PORT"] = P(_epmdPort),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_CTL_DIST_PORT_MIN"] = P(_ctlPort),
            ["RABBITMQ_CTL_DIST_PORT_MAX"] = P(_ctlPort),
            ["RABBITMQ_CONF_ENV_FILE"] = "/dev/null",
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(_directory, "rabbitmq"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_directory, "enabled_plugins"),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(_directory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(_directory, "log"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(_directory, "rabbit.pid"),
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
        };
    }
}
