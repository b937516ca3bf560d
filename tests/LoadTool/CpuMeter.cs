using System.Globalization;

namespace Library.LoadTool;

/// <summary>
/// CPU time of the system under test, by resource, from /proc: every process of an AppHost run and all their
/// descendants (PostgreSQL backends, RabbitMQ's beam, each service, the orchestrator, the dashboard), counting for
/// each live process its own utime+stime plus the cutime+cstime of the children it reaped (a PostgreSQL backend
/// that ended during the run is in its postmaster's). The run's processes are the AppHost's tree and the
/// orchestrator's (DCP detaches from the AppHost, and names it with <c>--monitor PID</c>). A process is charged to
/// the resource it runs under: a direct child of DCP's controllers is a resource (named by its
/// <c>OTEL_SERVICE_NAME</c>, or by its program); DCP itself is "orchestrator". CPU time, unlike wall time, barely
/// moves with what else the machine does, so it is the figure to compare between runs.
/// </summary>
internal sealed class CpuMeter
{
    public const string Orchestrator = "orchestrator";
    private readonly int _appHost;
    private readonly double _ticksPerSecond;

    private CpuMeter(int appHost, double ticksPerSecond)
    {
        _appHost = appHost;
        _ticksPerSecond = ticksPerSecond;
    }

    public int AppHostPid => _appHost;

    /// <summary>The meter of the AppHost run with this PID, or of the only AppHost running when null; null if none.</summary>
    public static CpuMeter? Find(int? appHostPid, out string? problem)
    {
        problem = null;
        if (!Directory.Exists("/proc/self"))
        {
            problem = "no /proc on this machine";
            return null;
        }

        var candidates = appHostPid is { } pid ? [pid] : AllProcesses().Where(p => CommandLine(p).Contains("Library.AppHost", StringComparison.Ordinal) && p != Environment.ProcessId).ToList();
        if (candidates.Count != 1)
        {
            problem = candidates.Count == 0 ? "no AppHost process found (pass --cpu-apphost PID)" : $"{candidates.Count} AppHost processes found ({string.Join(", ", candidates)}): pass --cpu-apphost PID";
            return null;
        }

        return new CpuMeter(candidates[0], 100.0); // USER_HZ: 100 on Linux for every architecture it runs on here
    }

    /// <summary>How long the idle baseline is measured before a run (after a short pause for the set-up's own echoes).</summary>
    public static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The meter for this run (null, with a warning, when none can be found or --no-cpu is given) and the CPU of the
    /// run's processes over <see cref="IdleWindow"/> with no load: the baseline of health probes, timers, telemetry.
    /// </summary>
    public static async Task<(CpuMeter Meter, CpuUsage Idle)?> PrepareAsync(Options options, TextWriter log, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        if (!options.MeasureCpu)
        {
            return null;
        }

        var meter = Find(options.CpuAppHost, out var problem);
        if (meter is null)
        {
            log.WriteLine($"warning: CPU not measured: {problem}");
            return null;
        }

        try
        {
            // The set-up's echoes (outbox events, telemetry of the seeding) settle first, or they count as idle.
            await Task.Delay(TimeSpan.FromSeconds(10), abort);
            log.WriteLine($"cpu: AppHost PID {meter.AppHostPid}; measuring the idle baseline for {IdleWindow.TotalSeconds:0} s");
            var before = meter.Read();
            await Task.Delay(IdleWindow, abort);
            return (meter, meter.Read().Since(before));
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>CPU seconds so far of each resource of the run, and of this load tool itself.</summary>
    public CpuReading Read()
    {
        var processes = new Dictionary<int, (int Parent, double Seconds)>();
        foreach (var pid in AllProcesses())
        {
            if (Stat(pid) is { } stat)
            {
                processes[pid] = stat;
            }
        }

        var children = processes.GroupBy(p => p.Value.Parent).ToDictionary(g => g.Key, g => g.Select(p => p.Key).ToList());
        var seconds = new Dictionary<string, double>(StringComparer.Ordinal);
        void Charge(int pid, string resource)
        {
            if (processes.TryGetValue(pid, out var process))
            {
                seconds[resource] = seconds.GetValueOrDefault(resource) + process.Seconds;
            }

            foreach (var child in children.GetValueOrDefault(pid) ?? [])
            {
                Charge(child, ResourceOf(pid, child) ?? resource);
            }
        }

        Charge(_appHost, "apphost");
        var marker = $"--monitor {_appHost.ToString(CultureInfo.InvariantCulture)}";
        foreach (var dcp in processes.Keys.Where(p => CommandLine(p).Contains(marker, StringComparison.Ordinal) && !IsDescendantOf(p, _appHost, processes)))
        {
            Charge(dcp, Orchestrator);
        }

        var self = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        return new CpuReading(DateTime.UtcNow, seconds, self);
    }

    /// <summary>A child of DCP's controllers is a resource (unless it is one of DCP's own monitors); anything else inherits.</summary>
    private static string? ResourceOf(int parent, int child)
    {
        var parentCommand = CommandLine(parent);
        if (!parentCommand.Contains("dcp", StringComparison.Ordinal) || !parentCommand.Contains("run-controllers", StringComparison.Ordinal))
        {
            return null;
        }

        var args = Arguments(child);
        if (args.Length == 0 || args.Any(a => a == "monitor-process"))
        {
            return Orchestrator;
        }

        if (EnvironmentOf(child, "OTEL_SERVICE_NAME") is { Length: > 0 } name)
        {
            return name;
        }

        // A server under its supervising shell: bash -c SCRIPT NAME-wrapper …
        if (Path.GetFileName(args[0]) == "bash" && args.Length > 3 && args[1] == "-c")
        {
            return args[3].Replace("-wrapper", string.Empty, StringComparison.Ordinal);
        }

        return Path.GetFileName(args[0]).Split(' ')[0]; // redis-server rewrites its argv to "redis-server HOST:PORT"
    }

    private static bool IsDescendantOf(int pid, int ancestor, Dictionary<int, (int Parent, double Seconds)> processes)
    {
        for (var p = pid; processes.TryGetValue(p, out var process) && p > 1; p = process.Parent)
        {
            if (process.Parent == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    private (int Parent, double Seconds)? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

            // After "pid (comm) ": state ppid … utime(14) stime(15) cutime(16) cstime(17), numbered from 1 with pid.
            var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
            double ticks = 0;
            for (var i = 11; i <= 14; i++)
            {
                ticks += long.Parse(fields[i], CultureInfo.InvariantCulture);
            }

            return (parent, ticks / _ticksPerSecond);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static IEnumerable<int> AllProcesses()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                yield return pid;
            }
        }
    }

    private static string[] Arguments(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string CommandLine(int pid) => string.Join(' ', Arguments(pid));

    private static string? EnvironmentOf(int pid, string name)
    {
        try
        {
            var prefix = name + "=";
            return File.ReadAllText($"/proc/{pid}/environ").Split('\0').FirstOrDefault(v => v.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>CPU seconds of each resource at one moment, and of the load tool.</summary>
internal sealed record CpuReading(DateTime At, IReadOnlyDictionary<string, double> Seconds, double LoadToolSeconds)
{
    /// <summary>What each resource spent between <paramref name="before"/> and this reading (a restarted one counts from zero).</summary>
    public CpuUsage Since(CpuReading before)
    {
        ArgumentNullException.ThrowIfNull(before);
        var spent = Seconds.ToDictionary(s => s.Key, s => Math.Max(0, s.Value - before.Seconds.GetValueOrDefault(s.Key)), StringComparer.Ordinal);
        return new CpuUsage((At - before.At).TotalSeconds, spent, LoadToolSeconds - before.LoadToolSeconds);
    }
}

/// <summary>CPU seconds each resource spent over a window of <see cref="WallSeconds"/>.</summary>
internal sealed record CpuUsage(double WallSeconds, IReadOnlyDictionary<string, double> Seconds, double LoadToolSeconds)
{
    public double TotalSeconds => Seconds.Values.Sum();

    /// <summary>
    /// "CPU ms per X" lines: the total and each resource's, largest first, gross and net of the idle baseline (what
    /// the same processes spend per second with no load, scaled to this window).
    /// </summary>
    public void Write(TextWriter output, string per, long count, CpuUsage? idle)
    {
        ArgumentNullException.ThrowIfNull(output);
        var inv = CultureInfo.InvariantCulture;
        var n = Math.Max(1, count);
        double IdleOf(string resource) => idle is null || idle.WallSeconds <= 0 ? 0 : idle.Seconds.GetValueOrDefault(resource) / idle.WallSeconds * WallSeconds;
        var idleTotal = Seconds.Keys.Sum(IdleOf);
        output.WriteLine(string.Create(inv, $"cpu          : {TotalSeconds:0.00} s of all the run's processes in {WallSeconds:0.0} s ({TotalSeconds / Math.Max(0.001, WallSeconds) * 100:0} % of one core); load tool {LoadToolSeconds:0.00} s"));
        output.WriteLine(string.Create(inv, $"cpu per {per,-5}: {TotalSeconds * 1000 / n:0.000} ms gross, {(TotalSeconds - idleTotal) * 1000 / n:0.000} ms net of the idle baseline ({(idle is null ? "not measured" : string.Create(inv, $"{idle.TotalSeconds / Math.Max(0.001, idle.WallSeconds) * 100:0.0} % of one core"))}), over {count}"));
        output.WriteLine($"  {"resource",-16} {"gross ms",9} {"net ms",9} {"share",6}");
        foreach (var (resource, seconds) in Seconds.Where(s => s.Value > 0).OrderByDescending(s => s.Value))
        {
            output.WriteLine(string.Create(inv, $"  {resource,-16} {seconds * 1000 / n,9:0.000} {(seconds - IdleOf(resource)) * 1000 / n,9:0.000} {seconds / Math.Max(0.001, TotalSeconds) * 100,5:0} %"));
        }
    }
}
