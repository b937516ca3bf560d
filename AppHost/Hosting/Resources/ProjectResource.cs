using Microsoft.Extensions.Configuration;
using System.Globalization;
using System.Reflection;

namespace Library.AppHost.Hosting.Resources;

/// <summary>
/// A .NET service project, started from its build output with configuration exactly as Aspire passes it:
/// ASPNETCORE_URLS, ConnectionStrings__*, services__*__http__0 and OTEL_*.
/// </summary>
public sealed class ProjectResource(string name, string projectPath) : ExecutableResource(name), IResourceWithServiceDiscovery
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(3) };
    private readonly List<IResourceWithConnectionString> _connectionStrings = [];
    private readonly List<IResourceWithServiceDiscovery> _services = [];
    private readonly Dictionary<string, Func<string>> _environment = new(StringComparer.Ordinal);
    private readonly List<ProjectResource> _replicas = [];
    private int? _requestedPort;
    private string _host = "127.0.0.1";

    public string ProjectPath { get; } = projectPath;

    /// <summary>The service this process is an instance of: its own name, or the original's for a replica (telemetry, overrides).</summary>
    public string ServiceName { get; private init; } = name;

    public int Port { get; private set; }

    public Uri HttpEndpoint => new($"http://{_host}:{Port.ToString(CultureInfo.InvariantCulture)}");

    public override string DisplayUrl => HttpEndpoint.ToString().TrimEnd('/');

    internal void Reference(IResourceWithConnectionString resource) => _connectionStrings.Add(resource);

    /// <summary>Another instance of this project: same references, environment and dependencies, its own port.</summary>
    internal ProjectResource CreateReplica(string name)
    {
        var replica = new ProjectResource(name, ProjectPath) { ServiceName = ServiceName };
        _replicas.Add(replica);
        replica._connectionStrings.AddRange(_connectionStrings);
        replica._services.AddRange(_services);
        foreach (var (key, value) in _environment)
        {
            replica._environment[key] = value;
        }

        foreach (var dependency in WaitsFor)
        {
            replica.AddWaitFor(dependency);
        }

        return replica;
    }

    internal void Reference(IResourceWithServiceDiscovery resource) => _services.Add(resource);

    internal void SetEnvironment(string name, Func<string> value) => _environment[name] = value;

    /// <summary>Sets a variable for the next start of the process (e.g. turning a failpoint off before a restart).</summary>
    public void SetEnvironmentVariable(string name, string value) => _environment[name] = () => value;

    /// <summary>A fixed port (e.g. the gateway's 8080); 0 or null means any free port.</summary>
    internal void SetPort(int? port, bool external)
    {
        _requestedPort = port is > 0 ? port : null;
        if (external)
        {
            _host = "localhost";
        }
    }

    internal override void Allocate(OrchestratorContext context)
        => Port = _requestedPort ?? context.Ports.Next();

    internal override void CheckPrerequisites(OrchestratorContext context)
    {
        if (!File.Exists(AssemblyPath))
        {
            throw new MissingPrerequisiteException($"{Name}: {AssemblyPath} does not exist; build the solution first (dotnet build Library.Aspire.sln -c {BuildConfiguration}).");
        }

        if (_requestedPort is { } port && !PortAllocator.IsFree(port))
        {
            throw new MissingPrerequisiteException($"{Name}: port {port} is already in use; stop what uses it or choose another port (--Gateway:Port <port>).");
        }
    }

    private static string BuildConfiguration => typeof(ProjectResource).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "Library.Configuration")?.Value ?? "Debug";

    private string AssemblyPath
    {
        get
        {
            var directory = Path.GetDirectoryName(ProjectPath)!;
            var name = Path.GetFileNameWithoutExtension(ProjectPath);
            return Path.Combine(directory, "bin", BuildConfiguration, "net10.0", name + ".dll");
        }
    }

    protected override ProcessSpec CreateProcessSpec(OrchestratorContext context)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}",
            ["ASPNETCORE_ENVIRONMENT"] = context.Configuration["AppHost:ServiceEnvironment"] ?? "Development",
            ["OTEL_SERVICE_NAME"] = ServiceName,
            ["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={Guid.NewGuid()}",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        };

        // Telemetry is exported only where the operator has a collector, as with Aspire's dashboard.
        foreach (var key in new[] { "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS" })
        {
            if (System.Environment.GetEnvironmentVariable(key) is { Length: > 0 } value)
            {
                environment[key] = value;
            }
        }

        foreach (var resource in _connectionStrings)
        {
            environment[$"ConnectionStrings__{resource.Name}"] = resource.ConnectionString;
        }

        foreach (var service in _services)
        {
            // Every instance of the service is an endpoint of its name: callers balance over the replicas.
            IResourceWithServiceDiscovery[] instances = service is ProjectResource project ? [project, .. project._replicas] : [service];
            for (var i = 0; i < instances.Length; i++)
            {
                environment[$"services__{service.Name}__http__{i.ToString(CultureInfo.InvariantCulture)}"] = instances[i].HttpEndpoint.ToString().TrimEnd('/');
            }
        }

        foreach (var (name, value) in _environment)
        {
            environment[name] = value();
        }

        // Operator overrides for one service, e.g. --ServiceEnvironment:catalog-api:Cache__Enabled=false.
        foreach (var setting in context.Configuration.GetSection($"ServiceEnvironment:{ServiceName}").GetChildren())
        {
            if (setting.Value is not null)
            {
                environment[setting.Key] = setting.Value;
            }
        }

        return new ProcessSpec("dotnet", [AssemblyPath], environment, Path.GetDirectoryName(AssemblyPath)!);
    }

    protected override async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        using var response = await s_http.GetAsync(new Uri($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/health"), cancellationToken);
        return response.IsSuccessStatusCode;
    }
}
