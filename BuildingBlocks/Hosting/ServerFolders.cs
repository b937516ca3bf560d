using System.Diagnostics;
using System.Runtime.CompilerServices;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Library.Hosting;

/// <summary>
/// Where the servers of one AppHost run keep their data: <c>{AppHost:DataRoot}/run-{pid}-{id}/{resource}</c>
/// (default root <c>/tmp/library-apphost</c>). A resource restarted within the run keeps its folder, and so its
/// data; the run's folder is removed when the AppHost stops, and a folder left by a run that was killed is
/// removed by the next run. Passwords are generated per run (Aspire parameters), so data never outlives them.
/// </summary>
public static class ServerFolders
{
    private const string OwnerFile = "owner";
    private static readonly ConditionalWeakTable<IDistributedApplicationBuilder, string> s_runs = [];

    /// <summary>The folder of <paramref name="resourceName"/> in this run, created on first use.</summary>
    public static string For(IDistributedApplicationBuilder builder, string resourceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var run = s_runs.GetValue(builder, CreateRun);
        var folder = Path.Combine(run, resourceName);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>The run folder of this AppHost, e.g. for diagnostics (null before any server asked for one).</summary>
    public static string? RunDirectory(IDistributedApplicationBuilder builder)
        => s_runs.TryGetValue(builder, out var run) ? run : null;

    private static string CreateRun(IDistributedApplicationBuilder builder)
    {
        var root = builder.Configuration["AppHost:DataRoot"] is { Length: > 0 } configured ? configured : Path.Combine(Path.GetTempPath(), "library-apphost");
        Directory.CreateDirectory(root);

        // Servers that refuse to run as root (PostgreSQL) run as their own user, which must reach its folder.
        if ((File.GetUnixFileMode(root) & UnixFileMode.OtherExecute) == 0)
        {
            throw new DistributedApplicationException($"The data root {root} (AppHost:DataRoot) must be traversable by other users (chmod o+x): PostgreSQL runs as the postgres user.");
        }

        SweepLeftovers(root);
        var run = Path.Combine(root, $"run-{Environment.ProcessId}-{Guid.NewGuid():N}"[..26]);
        Directory.CreateDirectory(run, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        File.WriteAllText(Path.Combine(run, OwnerFile), $"{Environment.ProcessId} {ProcessStartTicks(Environment.ProcessId)}");

        // Aspire stops every resource (the AppHost sets DcpPublisher:WaitForResourceCleanup) before the host
        // reports itself stopped; only then do the data folders go.
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
        {
            @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() => TryDelete(run));
            return Task.CompletedTask;
        });
        return run;
    }

    /// <summary>Removes the folders of runs whose AppHost is gone (killed before it could clean up).</summary>
    public static IReadOnlyList<string> SweepLeftovers(string root)
    {
        var swept = new List<string>();
        foreach (var run in Directory.EnumerateDirectories(root, "run-*"))
        {
            var owner = Path.Combine(run, OwnerFile);
            if (!File.Exists(owner))
            {
                continue;
            }

            var parts = File.ReadAllText(owner).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && int.TryParse(parts[0], out var pid) && ProcessStartTicks(pid) == parts[1])
            {
                continue; // its AppHost is alive
            }

            if (TryDelete(run))
            {
                swept.Add(run);
            }
        }

        return swept;
    }

    private static bool TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Trace.TraceWarning($"Could not remove {folder}: {e.Message}");
            return false;
        }
    }

    /// <summary>The process's start time in clock ticks since boot (/proc/pid/stat field 22), "" if it is not running.</summary>
    private static string ProcessStartTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}

/// <summary>A server's binary is not installed: one line naming the Debian package to install.</summary>
public sealed class MissingServerException(string message) : DistributedApplicationException(message);

internal static class ServerBinary
{
    /// <summary>The absolute path of <paramref name="binary"/> (searched on PATH when it has no folder), or a one-line failure.</summary>
    public static string Require(string binary, string package)
    {
        if (binary.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(binary) ? binary : throw Missing(binary, package);
        }

        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':'))
        {
            var candidate = Path.Combine(folder, binary);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw Missing(binary, package);
    }

    private static MissingServerException Missing(string binary, string package)
        => new($"{binary} was not found: install the Debian package '{package}' (./eng/install-prerequisites.sh does it).");
}
