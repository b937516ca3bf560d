using System.Net.Http.Json;
using System.Globalization;

namespace Library.AppHost.Hosting.Resources;

/// <summary>A single-member etcd with election timings tuned for fast single-node restarts.</summary>
public sealed class EtcdResource(string name) : ExecutableResource(name), IResourceWithConnectionString
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private string _binary = "etcd";
    private string _directory = string.Empty;
    private int _peerPort;

    public int Port { get; private set; }

    public string ConnectionString => $"http://127.0.0.1:{Port}";

    public override string DisplayUrl => ConnectionString;

    internal override void Allocate(OrchestratorContext context)
    {
        Port = context.Ports.Next();
        _peerPort = context.Ports.Next();
        _binary = context.Configuration["Etcd:Binary"] ?? _binary;
        _directory = Path.Combine(context.RunDirectory, Name);
    }

    internal override void CheckPrerequisites(OrchestratorContext context) => _binary = RequireBinary(_binary, "etcd-server");

    protected override ProcessSpec CreateProcessSpec(OrchestratorContext context)
    {
        Directory.CreateDirectory(_directory);
        var client = $"http://127.0.0.1:{Port}";
        var peer = $"http://127.0.0.1:{_peerPort}";
        return new ProcessSpec(_binary,
        [
            "--name", Name, "--data-dir", Path.Combine(_directory, "data"),
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", $"{Name}={peer}", "--initial-cluster-state", "new", "--initial-cluster-token", Name,
            "--heartbeat-interval", "10", "--election-timeout", "100",
            "--logger", "zap", "--log-level", "warn", "--log-outputs", "stderr",
        ], new Dictionary<string, string>(), _directory);
    }

    /// <summary>Keys put into etcd when it is ready, unless they already exist (a restart keeps what operators changed).</summary>
    public IDictionary<string, string> Seed { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    protected override async Task AfterReadyAsync(OrchestratorContext context, CancellationToken cancellationToken)
    {
        foreach (var (key, value) in Seed)
        {
            var encodedKey = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(key));
            var txn = new
            {
                compare = new[] { new { key = encodedKey, target = "CREATE", result = "EQUAL", create_revision = "0" } },
                success = new[] { new { request_put = new { key = encodedKey, value = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value)) } } },
            };
            using var response = await s_http.PostAsJsonAsync(new Uri($"{ConnectionString}/v3/kv/txn"), txn, cancellationToken);
            response.EnsureSuccessStatusCode();
        }
    }

    protected override async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        var body = await s_http.GetStringAsync(new Uri($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/health"), cancellationToken);
        return body.Contains("\"health\":\"true\"", StringComparison.Ordinal);
    }
}
