using System.Text.Json;

namespace Library.AppHost.Hosting;

/// <summary>
/// Remembers, on disk, which processes a run started, so the next run can clean up after one that crashed.
/// A leftover is recognised by pid *and* process start time, never by name, so nobody else's process is touched.
/// </summary>
public sealed class RunRegistry
{
    private readonly string _file;
    private readonly List<ChildRecord> _children = [];
    private readonly Lock _lock = new();

    private RunRegistry(string runDirectory)
    {
        RunDirectory = runDirectory;
        _file = Path.Combine(runDirectory, "run.json");
    }

    public string RunDirectory { get; }

    public static string DefaultRoot => Path.Combine(Path.GetTempPath(), "library-apphost");

    public static RunRegistry Create(string root)
    {
        var runDirectory = Path.Combine(root, $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}");

        // Servers that drop root (PostgreSQL runs as 'postgres') must be able to reach their folders below.
        const UnixFileMode traversable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        Directory.CreateDirectory(root, traversable);
        File.SetUnixFileMode(root, traversable);
        Directory.CreateDirectory(runDirectory, traversable);
        var registry = new RunRegistry(runDirectory);
        registry.Save();
        return registry;
    }

    public void Register(string resource, ManagedProcess process)
    {
        ArgumentNullException.ThrowIfNull(process);
        lock (_lock)
        {
            _children.Add(new ChildRecord(resource, process.Pid, process.StartTime));
            Save();
        }
    }

    /// <summary>Removes the run folder once every child is stopped.</summary>
    public void Complete()
    {
        try
        {
            Directory.Delete(RunDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Stops the processes and removes the folders of earlier runs whose orchestrator is gone.</summary>
    public static IReadOnlyList<string> SweepLeftovers(string root)
    {
        var swept = new List<string>();
        if (!Directory.Exists(root))
        {
            return swept;
        }

        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            var file = Path.Combine(dir, "run.json");
            RunRecord? record;
            try
            {
                record = File.Exists(file) ? JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(file)) : null;
            }
            catch (JsonException)
            {
                record = null;
            }
            catch (IOException)
            {
                continue;
            }

            if (record is null)
            {
                // A folder without a readable record is only removed when it is old, in case a run is just starting.
                if (Directory.GetLastWriteTimeUtc(dir) < DateTime.UtcNow.AddHours(-1))
                {
                    TryDelete(dir);
                }

                continue;
            }

            if (Native.StartTime(record.OwnerPid) == record.OwnerStartTime)
            {
                continue; // that orchestrator is still running
            }

            foreach (var child in record.Children)
            {
                var leaderStart = Native.StartTime(child.Pid);
                if (leaderStart is not null && leaderStart != child.StartTime)
                {
                    continue; // the pid now belongs to an unrelated process
                }

                if (leaderStart is not null || Native.ProcessesInSession(child.Pid).Count > 0)
                {
                    ManagedProcess.KillSession(child.Pid, child.StartTime);
                    swept.Add($"{child.Resource} (pid {child.Pid})");
                }
            }

            TryDelete(dir);
        }

        return swept;
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Save()
    {
        var record = new RunRecord(Environment.ProcessId, Native.StartTime(Environment.ProcessId) ?? 0, [.. _children]);
        var temp = _file + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(record));
        File.Move(temp, _file, overwrite: true);
    }

    private sealed record RunRecord(int OwnerPid, long OwnerStartTime, List<ChildRecord> Children);

    private sealed record ChildRecord(string Resource, int Pid, long StartTime);
}
