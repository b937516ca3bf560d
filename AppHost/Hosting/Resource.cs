using Microsoft.Extensions.Configuration;

namespace Library.AppHost.Hosting;

/// <summary>What every resource is handed by the orchestrator: ports, logs, the run folder and configuration.</summary>
public sealed class OrchestratorContext(PortAllocator ports, ResourceLogs logs, RunRegistry registry, IConfiguration configuration, bool ephemeral)
{
    public PortAllocator Ports { get; } = ports;

    public ResourceLogs Logs { get; } = logs;

    public RunRegistry Registry { get; } = registry;

    public IConfiguration Configuration { get; } = configuration;

    /// <summary>Test runs trade durability for speed (e.g. PostgreSQL without fsync); their data is thrown away anyway.</summary>
    public bool Ephemeral { get; } = ephemeral;

    public string RunDirectory => Registry.RunDirectory;
}

/// <summary>A thing in the app model: a server, a database on it, or a service project.</summary>
public abstract class Resource(string name)
{
    private readonly List<Resource> _waitFor = [];
    private volatile ResourceState _state = ResourceState.NotStarted;
    private volatile ResourceHealth _health = ResourceHealth.Unknown;

    public event Action<Resource>? Changed;

    public string Name { get; } = name;

    public ResourceState State
    {
        get => _state;
        internal set
        {
            _state = value;
            Changed?.Invoke(this);
        }
    }

    public ResourceHealth Health
    {
        get => _health;
        internal set
        {
            if (_health != value)
            {
                _health = value;
                Changed?.Invoke(this);
            }
        }
    }

    /// <summary>Resources that must be running and healthy before this one starts.</summary>
    public IReadOnlyList<Resource> WaitsFor => _waitFor;

    /// <summary>A URL an operator can use to reach the resource, for the resource table.</summary>
    public virtual string? DisplayUrl => null;

    internal void AddWaitFor(Resource other)
    {
        if (!_waitFor.Contains(other) && other != this)
        {
            _waitFor.Add(other);
        }
    }

    /// <summary>Chooses ports, passwords and folders. Runs for every resource before anything starts, so connection strings are known up front.</summary>
    internal virtual void Allocate(OrchestratorContext context)
    {
    }

    /// <summary>Fails fast, with one line naming the package, when a binary the resource needs is missing.</summary>
    internal virtual void CheckPrerequisites(OrchestratorContext context)
    {
    }

    /// <summary>Starts the resource and returns once it is ready to serve.</summary>
    internal abstract Task StartAsync(OrchestratorContext context, CancellationToken cancellationToken);

    internal abstract Task<bool> IsHealthyAsync(CancellationToken cancellationToken);

    internal abstract Task StopAsync();

    /// <summary>Completes if the resource's process ends; never for resources without one.</summary>
    internal virtual Task ExitedAsync => Task.Delay(Timeout.Infinite);

    internal virtual bool ExitIsExpected => false;
}

/// <summary>A resource that other resources reach through <c>ConnectionStrings__{Name}</c>.</summary>
public interface IResourceWithConnectionString
{
    string Name { get; }

    string ConnectionString { get; }
}

/// <summary>A resource reachable over HTTP that others discover through <c>services__{Name}__http__0</c>.</summary>
public interface IResourceWithServiceDiscovery
{
    string Name { get; }

    Uri HttpEndpoint { get; }
}

/// <summary>A required program is not installed. Its message is the one line the operator needs.</summary>
public sealed class MissingPrerequisiteException(string message) : Exception(message);
