using System.Runtime.InteropServices;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Library.Testing;

/// <summary>
/// What chaos and end-to-end tests do to a running system, through Aspire: its resource commands (stop, start, as
/// the dashboard's buttons do), its logs, and, for a crash, SIGKILL of the processes Aspire reports.
/// </summary>
public static partial class ResourceControl
{
    private const int SIGKILL = 9;

    /// <summary>Stops every instance of the resource (Aspire's stop command) and waits until each has stopped.</summary>
    public static async Task StopResourceAsync(this DistributedApplication app, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        using var bound = Bounded(cancellationToken);
        cancellationToken = bound.Token;
        var result = await app.ResourceCommands.ExecuteCommandAsync(Resource(app, name), KnownResourceCommands.StopCommand, cancellationToken);
        if (!result.Success)
        {
            throw new InvalidOperationException($"Stopping {name} failed: {result.Message}");
        }

        foreach (var id in await InstanceIdsAsync(app, name))
        {
            await WaitUntilStoppedAsync(app, name, id, cancellationToken);
        }
    }

    /// <summary>Starts every instance of a stopped (or crashed) resource and waits until it is healthy again.</summary>
    public static Task StartResourceAsync(this DistributedApplication app, string name, CancellationToken cancellationToken = default)
        => app.StartResourceAsync(name, Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, cancellationToken);

    /// <summary>Starts the resource and waits until its health is at least <paramref name="atLeast"/> (Degraded: it serves, with a dependency down).</summary>
    public static async Task StartResourceAsync(this DistributedApplication app, string name, Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus atLeast, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        var since = DateTime.UtcNow;
        using (var bound = Bounded(cancellationToken))
        {
            var result = await app.ResourceCommands.ExecuteCommandAsync(Resource(app, name), KnownResourceCommands.StartCommand, bound.Token);
            if (!result.Success)
            {
                throw new InvalidOperationException($"Starting {name} failed: {result.Message}");
            }
        }

        // The wait has its own bound, and says what the resource last logged when it is not met.
        await app.WaitUntilHealthyAsync(name, since, atLeast, cancellationToken);
    }

    /// <summary>
    /// Waits until the resource runs and every health check of it has passed <em>since</em> a moment: right after a
    /// restart, the reports Aspire holds may still be the ones from before the stop.
    /// </summary>
    public static Task WaitUntilHealthyAsync(this DistributedApplication app, string name, DateTime since, CancellationToken cancellationToken = default)
        => app.WaitUntilHealthyAsync(name, since, Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, cancellationToken);

    public static async Task WaitUntilHealthyAsync(this DistributedApplication app, string name, DateTime since, Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus atLeast, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        using var bound = Bounded(cancellationToken);
        ResourceEvent last;
        try
        {
            // A resource that exits after the start (e.g. a server that refuses to boot) ends the wait at once.
            last = await app.ResourceNotifications.WaitForResourceAsync(
                name,
                e => (e.Snapshot.State?.Text == KnownResourceStates.Running
                      && e.Snapshot.HealthStatus >= atLeast
                      && e.Snapshot.HealthReports.All(r => r.LastRunAt >= since))
                     || (KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text) && e.Snapshot.StopTimeStamp >= since),
                bound.Token);
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new TimeoutException($"{name} was not {atLeast} within {WaitBound.TotalMinutes} min (state {await app.StateOfAsync(name)}).{await LastLinesAsync(app, name)}");
        }

        if (last.Snapshot.State?.Text != KnownResourceStates.Running)
        {
            throw new InvalidOperationException($"{name} ended ({last.Snapshot.State?.Text}, exit code {last.Snapshot.ExitCode}) instead of becoming {atLeast}.{await LastLinesAsync(app, name)}");
        }
    }

    // What a resource said last: why it did not come up.
    private static async Task<string> LastLinesAsync(DistributedApplication app, string name)
    {
        var lines = await app.LogsOfAsync(name);
        return $" Its last lines:{Environment.NewLine}{string.Join(Environment.NewLine, lines.TakeLast(20))}";
    }

    /// <summary>
    /// A crash: SIGKILL of every process Aspire reports for the resource and of their descendants (a project runs
    /// under <c>dotnet run</c>, a server under its supervising shell), then waits until Aspire sees it gone.
    /// </summary>
    public static async Task KillResourceAsync(this DistributedApplication app, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        using var bound = Bounded(cancellationToken);
        cancellationToken = bound.Token;
        foreach (var id in await InstanceIdsAsync(app, name))
        {
            var pid = ProcessId(app, id) ?? throw new InvalidOperationException($"{id} has no process.");
            KillTree(pid);
            await WaitUntilStoppedAsync(app, name, id, cancellationToken);
        }
    }

    // Aspire's waits match the resource's name; an instance is told apart by its id.
    private static Task WaitUntilStoppedAsync(DistributedApplication app, string name, string id, CancellationToken cancellationToken)
        => app.ResourceNotifications.WaitForResourceAsync(name, e => e.ResourceId == id && KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), cancellationToken);

    /// <summary>The resource's current state text (Running, Exited, …) as Aspire reports it; of its first instance.</summary>
    public static async Task<string?> StateOfAsync(this DistributedApplication app, string name)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.ResourceNotifications.TryGetCurrentState((await InstanceIdsAsync(app, name))[0], out var e) ? e.Snapshot.State?.Text : null;
    }

    /// <summary>The PID Aspire reports for an instance (<c>executable.pid</c>), or null when it is not running.</summary>
    public static int? ProcessId(this DistributedApplication app, string instanceId)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.ResourceNotifications.TryGetCurrentState(instanceId, out var e)
            && e.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } value
            && int.TryParse(value.ToString(), out var pid)
            ? pid
            : null;
    }

    /// <summary>The ids of the resource's instances (one per replica, e.g. <c>catalog-api-x2kdwqpe</c>), in a stable order.</summary>
    public static async Task<IReadOnlyList<string>> InstanceIdsAsync(this DistributedApplication app, string name)
    {
        ArgumentNullException.ThrowIfNull(app);
        var resource = Resource(app, name);
        return [.. (await CurrentSnapshotsAsync(app)).Where(e => ReferenceEquals(e.Resource, resource)).Select(e => e.ResourceId).Order(StringComparer.Ordinal)];
    }

    /// <summary>The last snapshot of every resource instance: what Aspire's notification service replays to a new watcher.</summary>
    private static async Task<List<ResourceEvent>> CurrentSnapshotsAsync(DistributedApplication app)
    {
        using var stop = new CancellationTokenSource();
        var events = new List<ResourceEvent>();
        await using var watch = app.ResourceNotifications.WatchAsync(stop.Token).GetAsyncEnumerator(stop.Token);

        // The replay of current snapshots completes synchronously; the first step that would wait is a live update.
        Task<bool> next;
        while ((next = watch.MoveNextAsync().AsTask()).IsCompletedSuccessfully && next.Result)
        {
            events.Add(watch.Current);
        }

        await stop.CancelAsync();
        try
        {
            await next;
        }
        catch (OperationCanceledException)
        {
        }

        return events;
    }

    /// <summary>
    /// Each replica's own address (its ASPNETCORE_URLS), where the resource's endpoint balances over all of them:
    /// for tests that must reach one instance in particular.
    /// </summary>
    public static async Task<IReadOnlyList<Uri>> InstanceEndpointsAsync(this DistributedApplication app, string name)
    {
        ArgumentNullException.ThrowIfNull(app);
        var endpoints = new List<Uri>();
        foreach (var id in await InstanceIdsAsync(app, name))
        {
            if (!app.ResourceNotifications.TryGetCurrentState(id, out var e)
                || e.Snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == "ASPNETCORE_URLS")?.Value is not { Length: > 0 } urls)
            {
                throw new InvalidOperationException($"{id} reports no ASPNETCORE_URLS.");
            }

            endpoints.Add(new Uri(urls.Split(';')[0]));
        }

        return endpoints;
    }

    /// <summary>Every console line the resource's instances have written so far.</summary>
    public static async Task<IReadOnlyList<string>> LogsOfAsync(this DistributedApplication app, string name)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        var lines = new List<string>();
        await foreach (var batch in logs.GetAllAsync(Resource(app, name)))
        {
            lines.AddRange(batch.Select(line => line.Content));
        }

        return lines;
    }

    /// <summary>The resources of the app model (for tests that go over all of them).</summary>
    public static IReadOnlyList<IResource> Resources(this DistributedApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return [.. app.Services.GetRequiredService<DistributedApplicationModel>().Resources];
    }

    /// <summary>Sends a signal to every process of every instance of the resource and their descendants (e.g. SIGSTOP to freeze it, SIGCONT to thaw it).</summary>
    public static async Task SignalResourceAsync(this DistributedApplication app, string name, int signal)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var id in await InstanceIdsAsync(app, name))
        {
            foreach (var member in ProcessTree(ProcessId(app, id) ?? throw new InvalidOperationException($"{id} has no process.")))
            {
                _ = Kill(member, signal);
            }
        }
    }

    /// <summary>SIGKILL of a process and all its descendants, all at once.</summary>
    public static void KillTree(int pid)
    {
        foreach (var member in ProcessTree(pid))
        {
            _ = Kill(member, SIGKILL);
        }
    }

    /// <summary>A process and all its descendants (from /proc).</summary>
    public static IReadOnlyList<int> ProcessTree(int pid)
    {
        var tree = new List<int> { pid };
        for (var i = 0; i < tree.Count; i++)
        {
            tree.AddRange(ChildrenOf(tree[i]));
        }

        return tree;
    }

    private static IEnumerable<int> ChildrenOf(int pid)
    {
        foreach (var task in Directory.Exists($"/proc/{pid}/task") ? Directory.GetDirectories($"/proc/{pid}/task") : [])
        {
            string children;
            try
            {
                children = File.ReadAllText(Path.Combine(task, "children"));
            }
            catch (IOException)
            {
                continue;
            }

            foreach (var child in children.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                yield return int.Parse(child, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>How long any wait here may take when the caller set no bound of its own: a resource that never comes
    /// back fails its test instead of hanging the test run.</summary>
    public static TimeSpan WaitBound { get; } = TimeSpan.FromMinutes(3);

    private static CancellationTokenSource Bounded(CancellationToken cancellationToken)
    {
        var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(WaitBound);
        return bound;
    }

    private static IResource Resource(DistributedApplication app, string name)
        => app.Resources().SingleOrDefault(r => r.Name == name) ?? throw new InvalidOperationException($"The app model has no resource named {name}.");

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
