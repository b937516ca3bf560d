using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Library.AppHost.Hosting.Resources;

/// <summary>Redis without persistence (<c>--save ""</c>), loopback only, with a per-run password.</summary>
public sealed class RedisResource(string name) : ExecutableResource(name), IResourceWithConnectionString
{
    private string _binary = "redis-server";
    private string _password = string.Empty;
    private string _directory = string.Empty;

    public int Port { get; private set; }

    public string ConnectionString => $"127.0.0.1:{Port},password={_password}";

    public override string DisplayUrl => $"redis://127.0.0.1:{Port}";

    internal override void Allocate(OrchestratorContext context)
    {
        Port = context.Ports.Next();
        _password = NewSecret();
        _binary = context.Configuration["Redis:Binary"] ?? _binary;
        _directory = Path.Combine(context.RunDirectory, Name);
    }

    internal override void CheckPrerequisites(OrchestratorContext context) => _binary = RequireBinary(_binary, "redis-server");

    protected override ProcessSpec CreateProcessSpec(OrchestratorContext context)
    {
        Directory.CreateDirectory(_directory);
        var configFile = Path.Combine(_directory, "redis.conf");

        // The password goes into a config file, not argv, where any local user could read it with ps.
        File.WriteAllText(configFile, $"requirepass {_password}\n");
        File.SetUnixFileMode(configFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return new ProcessSpec(_binary, [configFile, "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--dir", _directory, "--save", "", "--appendonly", "no", "--daemonize", "no"], new Dictionary<string, string>(), _directory);
    }

    protected override async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"AUTH {_password}\r\nPING\r\n"), cancellationToken);
        var buffer = new byte[64];
        var received = new StringBuilder();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        while (!received.ToString().Contains("PONG", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                return false;
            }

            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            if (received.ToString().Contains("-ERR", StringComparison.Ordinal) || received.ToString().Contains("-LOADING", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
