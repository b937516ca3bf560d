using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Library.AppHost.Hosting.Resources;

namespace Library.AppHost.Hosting;

/// <summary>
/// The orchestrator: starts every resource as soon as what it waits for is healthy, watches health and exits,
/// and stops everything in reverse dependency order (graceful signal first, then the whole process tree).
/// </summary>
public sealed class DistributedApplication : IAsyncDisposable
{
    private static readonly TimeSpan s_healthInterval = TimeSpan.FromSeconds(2);
    private readonly DistributedApplicationBuilder _builder;
    private readonly Dictionary<Resource, Task> _starts = [];
    private readonly CancellationTokenSource _lifetime = new();
    private readonly List<Task> _monitors = [];
    private OrchestratorContext? _context;
    private CancellationTokenSource? _startCancellation;
    private int _stopped;

    internal DistributedApplication(DistributedApplicationBuilder builder) => _builder = builder;

    public IReadOnlyList<Resource> Resources => _builder.Resources;

    public static DistributedApplicationBuilder CreateBuilder(string[] args)
    {
        var options = TestingHook.Options is { } testing
            ? new DistributedApplicationOptions { Args = [.. testing.Args, .. args], WriteLogsToConsole = testing.WriteLogsToConsole, Ephemeral = testing.Ephemeral, DataRoot = testing.DataRoot }
            : new DistributedApplicationOptions { Args = args };
        return CreateBuilder(options);
    }

    public static DistributedApplicationBuilder CreateBuilder(DistributedApplicationOptions options) => new(options);

    public Resource GetResource(string name)
        => Resources.FirstOrDefault(r => r.Name == name) ?? throw new ArgumentException($"No resource named '{name}'.", nameof(name));

    /// <summary>Starts everything and returns when every resource is running and healthy.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var root = _builder.Options.DataRoot ?? _builder.Configuration["AppHost:DataRoot"] ?? RunRegistry.DefaultRoot;
        var swept = RunRegistry.SweepLeftovers(root);
        var registry = RunRegistry.Create(root);
        var logs = new ResourceLogs(_builder.Options.WriteLogsToConsole, Path.Combine(registry.RunDirectory, "logs"));
        _context = new OrchestratorContext(new PortAllocator(), logs, registry, _builder.Configuration, _builder.Options.Ephemeral);
        foreach (var leftover in swept)
        {
            logs.Info($"Stopped a leftover of an earlier run that did not shut down: {leftover}");
        }

        try
        {
            foreach (var resource in Resources)
            {
                resource.Allocate(_context);
            }

            var missing = new List<string>();
            foreach (var resource in Resources)
            {
                try
                {
                    resource.CheckPrerequisites(_context);
                }
                catch (MissingPrerequisiteException e)
                {
                    missing.Add(e.Message);
                }
            }

            if (missing.Count > 0)
            {
                throw new MissingPrerequisiteException(string.Join(Environment.NewLine, missing.Distinct()));
            }

            // Cancelling the caller's token or stopping the app abandons starts in flight.
            var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
            _startCancellation = linked;
            foreach (var resource in TopologicalOrder())
            {
                _starts[resource] = StartOneAsync(resource, _context, linked.Token);
            }

            // Fail fast: the first resource that cannot start stops the whole run.
            var pending = _starts.Values.ToList();
            while (pending.Count > 0)
            {
                var done = await Task.WhenAny(pending);
                pending.Remove(done);
                await done;
            }
        }
        catch
        {
            await StopAsync();
            throw;
        }
    }

    public async Task WaitForResourceHealthyAsync(string name, CancellationToken cancellationToken = default)
    {
        var resource = GetResource(name);
        while (!(resource.State == ResourceState.Running && resource.Health == ResourceHealth.Healthy))
        {
            if (resource.State is ResourceState.FailedToStart or ResourceState.Exited or ResourceState.Finished)
            {
                throw new InvalidOperationException($"{name} is {resource.State}.");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>The connection string a service would receive as ConnectionStrings__{name}.</summary>
    public Task<string?> GetConnectionStringAsync(string name)
        => Task.FromResult((GetResource(name) as IResourceWithConnectionString)?.ConnectionString);

    public Uri GetEndpoint(string name)
        => (GetResource(name) as IResourceWithServiceDiscovery)?.HttpEndpoint ?? throw new ArgumentException($"'{name}' has no HTTP endpoint.", nameof(name));

    public HttpClient CreateHttpClient(string name) => new() { BaseAddress = GetEndpoint(name) };

    /// <summary>The most recent log lines of a resource, for diagnosing a failed test.</summary>
    public IReadOnlyList<string> GetLogs(string name) => _context?.Logs.Tail(name) ?? [];

    /// <summary>The folder of this run (data, logs, run record); removed when the run stops.</summary>
    public string? RunDirectory => _context?.RunDirectory;

    /// <summary>
    /// Stops one resource (its process tree, gracefully), as an operator or a chaos test would. Its ports, folder
    /// and configuration are kept, so <see cref="StartResourceAsync"/> brings it back where it was.
    /// </summary>
    public async Task StopResourceAsync(string name)
    {
        var resource = GetResource(name) as ExecutableResource ?? throw new InvalidOperationException($"{name} has no process to stop.");
        await resource.StopAsync();
        resource.Health = ResourceHealth.Unknown;
        resource.State = ResourceState.Finished;
    }

    /// <summary>Starts a stopped or exited resource again on its old ports and data; returns once it is healthy.</summary>
    public async Task StartResourceAsync(string name, CancellationToken cancellationToken = default)
    {
        var context = _context ?? throw new InvalidOperationException("The application is not started.");
        var resource = GetResource(name) as ExecutableResource ?? throw new InvalidOperationException($"{name} has no process to start.");
        if (resource.State == ResourceState.Running)
        {
            throw new InvalidOperationException($"{name} is already running.");
        }

        await StartAndMonitorAsync(resource, context, cancellationToken);
    }

    /// <summary>Starts, prints the resource table, and runs until Ctrl+C or SIGTERM; then stops every child.</summary>
    public async Task RunAsync()
    {
        using var stop = new CancellationTokenSource();
        var signals = 0;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Increment(ref signals) == 1)
            {
                Console.Error.WriteLine("Stopping… (press Ctrl+C again to kill everything at once)");
                stop.Cancel();
            }
            else
            {
                KillEverything();
            }
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);

        var clock = Stopwatch.StartNew();
        try
        {
            await StartAsync(stop.Token);
        }
        catch (MissingPrerequisiteException e)
        {
            Console.Error.WriteLine(e.Message);
            Environment.ExitCode = 1;
            return;
        }
        catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException)
        {
            Console.Error.WriteLine("Stopped before everything was up.");
            return;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"Startup failed: {e.Message}");
            Environment.ExitCode = 1;
            return;
        }

        Console.WriteLine();
        Console.WriteLine(FormatResourceTable());
        foreach (var notice in _builder.StartupNotices)
        {
            Console.WriteLine(notice);
        }

        Console.WriteLine($"All resources healthy in {clock.Elapsed.TotalSeconds:0.0} s. Press Ctrl+C to stop.");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await StopAsync();
        Console.WriteLine("Every resource stopped.");
    }

    public void Run() => RunAsync().GetAwaiter().GetResult();

    public string FormatResourceTable()
    {
        var rows = Resources.Select(r => (r.Name, State: r.State.ToString(), Health: r.Health.ToString(), Url: r.DisplayUrl ?? string.Empty)).ToList();
        var w1 = Math.Max(8, rows.Max(r => r.Name.Length));
        var w2 = Math.Max(5, rows.Max(r => r.State.Length));
        var w3 = Math.Max(6, rows.Max(r => r.Health.Length));
        var table = new StringBuilder();
        table.AppendLine($"{"Resource".PadRight(w1)}  {"State".PadRight(w2)}  {"Health".PadRight(w3)}  URL");
        table.AppendLine($"{new string('-', w1)}  {new string('-', w2)}  {new string('-', w3)}  {new string('-', 30)}");
        foreach (var (name, state, health, url) in rows)
        {
            table.AppendLine($"{name.PadRight(w1)}  {state.PadRight(w2)}  {health.PadRight(w3)}  {url}");
        }

        return table.ToString().TrimEnd();
    }

    /// <summary>Stops dependants before what they depend on; safe to call more than once.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        await _lifetime.CancelAsync();

        // Starts still in flight finish (or give up) first, so no process can appear after it was stopped.
        try
        {
            await Task.WhenAll(_starts.Values);
        }
        catch (Exception)
        {
            // Their failures were reported where they happened.
        }

        foreach (var level in Enumerable.Reverse(TopologicalLevels()))
        {
            await Task.WhenAll(level.Select(async resource =>
            {
                try
                {
                    await resource.StopAsync();
                }
                catch (Exception e)
                {
                    _context?.Logs.Info($"Stopping {resource.Name} failed: {e.Message}");
                }

                resource.Health = ResourceHealth.Unknown;
                if (resource.State is ResourceState.Running or ResourceState.Starting or ResourceState.Waiting or ResourceState.Exited)
                {
                    resource.State = ResourceState.Finished;
                }
            }));
        }

        Task[] monitors;
        lock (_monitors)
        {
            monitors = [.. _monitors];
        }

        await Task.WhenAll(monitors);
        _context?.Logs.Dispose();
        _context?.Registry.Complete();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _startCancellation?.Dispose();
        _lifetime.Dispose();
    }

    private async Task StartOneAsync(Resource resource, OrchestratorContext context, CancellationToken cancellationToken)
    {
        resource.State = ResourceState.Waiting;
        try
        {
            await Task.WhenAll(resource.WaitsFor.Select(d => _starts[d]));
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            resource.State = ResourceState.FailedToStart;
            throw new InvalidOperationException($"{resource.Name} did not start because something it waits for failed.");
        }

        await StartAndMonitorAsync(resource, context, cancellationToken);
    }

    /// <summary>Starting → Running and healthy (or FailedToStart), then watched until the run ends.</summary>
    private async Task StartAndMonitorAsync(Resource resource, OrchestratorContext context, CancellationToken cancellationToken)
    {
        resource.State = ResourceState.Starting;
        var clock = Stopwatch.StartNew();
        try
        {
            await resource.StartAsync(context, cancellationToken);
        }
        catch (Exception e)
        {
            resource.State = ResourceState.FailedToStart;
            context.Logs.Info($"{resource.Name} failed to start: {e.Message}");
            throw;
        }

        resource.State = ResourceState.Running;
        resource.Health = ResourceHealth.Healthy;
        context.Logs.Info($"{resource.Name} is running and healthy ({clock.Elapsed.TotalSeconds:0.00} s)");
        lock (_monitors)
        {
            _monitors.Add(MonitorAsync(resource, context, _lifetime.Token));
        }
    }

    private static async Task MonitorAsync(Resource resource, OrchestratorContext context, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var exited = resource.ExitedAsync;
            var tick = Task.Delay(s_healthInterval, cancellationToken);
            if (await Task.WhenAny(exited, tick) == exited)
            {
                if (!resource.ExitIsExpected && !cancellationToken.IsCancellationRequested)
                {
                    resource.State = ResourceState.Exited;
                    resource.Health = ResourceHealth.Unhealthy;
                    context.Logs.Info($"{resource.Name} exited unexpectedly.");
                }

                return;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                resource.Health = await resource.IsHealthyAsync(timeout.Token) ? ResourceHealth.Healthy : ResourceHealth.Unhealthy;
            }
            catch (OperationCanceledException)
            {
                if (!cancellationToken.IsCancellationRequested)
                {
                    resource.Health = ResourceHealth.Unhealthy;
                }
            }
        }
    }

    private void KillEverything()
    {
        foreach (var resource in Resources.OfType<ExecutableResource>())
        {
            resource.KillNow();
        }

        Environment.Exit(130);
    }

    private List<Resource> TopologicalOrder() => [.. TopologicalLevels().SelectMany(l => l)];

    /// <summary>Resources grouped so that each group depends only on earlier groups.</summary>
    private List<List<Resource>> TopologicalLevels()
    {
        var depth = new Dictionary<Resource, int>();
        int DepthOf(Resource r, int guard)
        {
            if (guard > Resources.Count)
            {
                throw new InvalidOperationException($"WaitFor cycle involving {r.Name}.");
            }

            if (!depth.TryGetValue(r, out var d))
            {
                d = r.WaitsFor.Count == 0 ? 0 : r.WaitsFor.Max(x => DepthOf(x, guard + 1)) + 1;
                depth[r] = d;
            }

            return d;
        }

        foreach (var resource in Resources)
        {
            DepthOf(resource, 0);
        }

        return [.. depth.GroupBy(p => p.Value).OrderBy(g => g.Key).Select(g => g.Select(p => p.Key).ToList())];
    }
}
