using System.Diagnostics;

namespace Library.AppHost.Hosting;

/// <summary>What to run for a resource: the binary, its arguments, a clean environment and a working folder.</summary>
public sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment, string WorkingDirectory)
{
    /// <summary>Signal for a graceful stop (PostgreSQL: SIGINT = fast shutdown; most others: SIGTERM).</summary>
    public int StopSignal { get; init; } = Native.SIGTERM;

    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// A child process started in its own session (setsid), so Ctrl+C in the terminal reaches only the
/// orchestrator, which then stops children in order, and so the whole tree can be found again by session id.
/// </summary>
public sealed class ManagedProcess : IAsyncDisposable
{
    // Variables a server would otherwise pick up from the developer's shell and obey.
    private static readonly string[] s_scrubbedPrefixes = ["PG", "ETCD", "RABBITMQ_", "ERL_", "ASPNETCORE_", "DOTNET_", "ConnectionStrings__", "services__", "OTEL_", "REDIS"];
    private readonly Process _process;
    private readonly ProcessSpec _spec;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _stopping;

    private ManagedProcess(Process process, ProcessSpec spec)
    {
        _process = process;
        _spec = spec;
    }

    public int Pid { get; private set; }

    public long StartTime { get; private set; }

    public Task<int> Exited => _exited.Task;

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>True while the orchestrator itself is stopping the process, so its exit is expected.</summary>
    public bool IsStopping => _stopping;

    public static ManagedProcess Start(string resource, ProcessSpec spec, ResourceLogs logs)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(logs);
        var info = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = spec.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(spec.FileName);
        foreach (var argument in spec.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var name in info.Environment.Keys.ToList())
        {
            if (s_scrubbedPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
            {
                info.Environment.Remove(name);
            }
        }

        foreach (var (name, value) in spec.Environment)
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var managed = new ManagedProcess(process, spec);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                logs.Write(resource, e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                logs.Write(resource, e.Data);
            }
        };
        process.Exited += (_, _) =>
        {
            // WaitForExit() without a timeout also drains the redirected output before we report the exit.
            process.WaitForExit();
            managed._exited.TrySetResult(process.ExitCode);
        };
        process.Start();
        managed.Pid = process.Id;
        managed.StartTime = Native.StartTime(process.Id) ?? 0;
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return managed;
    }

    /// <summary>Graceful stop with the resource's signal, then the whole session killed if it does not finish in time.</summary>
    public async Task StopAsync()
    {
        _stopping = true;
        if (HasExited)
        {
            KillSession();
            return;
        }

        Native.Signal(Pid, _spec.StopSignal);
        var finished = await Task.WhenAny(Exited, Task.Delay(_spec.StopTimeout)) == Exited;
        if (!finished)
        {
            KillSession();
            await Task.WhenAny(Exited, Task.Delay(TimeSpan.FromSeconds(5)));
        }

        // Anything the process left behind in its session (e.g. RabbitMQ's helper processes) goes too.
        KillSession();
    }

    /// <summary>SIGKILL to every process of this child's session, verified by start time against pid reuse.</summary>
    public void KillSession() => KillSession(Pid, StartTime);

    public static void KillSession(int sessionLeader, long leaderStartTime)
    {
        foreach (var pid in Native.ProcessesInSession(sessionLeader))
        {
            if (Native.StartTime(pid) is { } started && started >= leaderStartTime)
            {
                Native.Signal(pid, Native.SIGKILL);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!HasExited)
        {
            await StopAsync();
        }

        _process.Dispose();
    }
}
