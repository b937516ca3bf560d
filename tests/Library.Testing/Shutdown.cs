using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Library.Testing;

/// <summary>
/// Ends a test system within a bound, whatever its orchestrator does: Aspire's stop and dispose wait until the
/// orchestrator reports every process gone, and on a busy machine that wait has been seen not to end. The
/// processes of every resource are taken down first, so that after the bound whatever is left is ended by PID.
/// </summary>
public static class Shutdown
{
    public static async Task ShutDownAsync(this DistributedApplication app, TimeSpan? within = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var processes = new List<(int Pid, string StartTime)>();
        try
        {
            foreach (var resource in app.Resources().Where(r => r is not ParameterResource))
            {
                foreach (var id in await app.InstanceIdsAsync(resource.Name))
                {
                    if (app.ProcessId(id) is { } pid)
                    {
                        processes.AddRange(ResourceControl.ProcessTree(pid).Select(p => (p, StartTime(p))));
                    }
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // Not started, or already gone: nothing of it to take down by PID.
        }

        using (var bound = new CancellationTokenSource(within ?? TimeSpan.FromMinutes(2)))
        {
            try
            {
                await app.StopAsync(bound.Token);
            }
            catch (OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"The test system did not stop within {(within ?? TimeSpan.FromMinutes(2)).TotalSeconds} s; its processes are ended by PID.");
            }
        }

        try
        {
            await app.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            await Console.Error.WriteLineAsync("The test system was not disposed within 30 s; its processes are ended by PID.");
        }

        // Only the very processes recorded above: the same PID with the same start time.
        foreach (var (pid, startTime) in processes)
        {
            if (startTime.Length > 0 && StartTime(pid) == startTime)
            {
                ResourceControl.KillTree(pid);
            }
        }
    }

    /// <summary>Field 22 of /proc/PID/stat (start time in clock ticks since boot), or empty when the process is gone.</summary>
    private static string StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[0] == "Z" ? string.Empty : fields[19];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}
