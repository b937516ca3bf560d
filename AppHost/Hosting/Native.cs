using System.Globalization;
using System.Runtime.InteropServices;

namespace Library.AppHost.Hosting;

/// <summary>
/// Signals and /proc facts that .NET does not expose: Process.Kill() is SIGKILL only, and a process is
/// identified safely only by its pid together with its start time (pids are reused).
/// </summary>
internal static partial class Native
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);

    public static bool Signal(int pid, int signal) => SysKill(pid, signal) == 0;

    public static bool IsAlive(int pid) => SysKill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1 /* EPERM */;

    /// <summary>Start time in clock ticks since boot (field 22 of /proc/pid/stat), or null if the process is gone.</summary>
    public static long? StartTime(int pid) => ReadStat(pid) is { } fields ? long.Parse(fields[19], CultureInfo.InvariantCulture) : null;

    /// <summary>Session id (field 6). Children are started with setsid, so a resource's whole tree shares its pid as session id.</summary>
    public static int? SessionId(int pid) => ReadStat(pid) is { } fields ? int.Parse(fields[3], CultureInfo.InvariantCulture) : null;

    /// <summary>Every live process whose session is the given one (the resource's process tree, even re-parented parts).</summary>
    public static List<int> ProcessesInSession(int sessionId)
    {
        var result = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && SessionId(pid) == sessionId)
            {
                result.Add(pid);
            }
        }

        return result;
    }

    // Fields after the command name, which is in parentheses and may itself contain spaces or parentheses.
    private static string[]? ReadStat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close < 0 ? null : stat[(close + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
