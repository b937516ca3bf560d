using System.Collections.Concurrent;

namespace Library.AppHost.Hosting;

/// <summary>
/// Where resource output goes: a per-resource file in the run folder, a bounded in-memory tail for
/// diagnostics, and, when running interactively, the console with a coloured resource prefix.
/// </summary>
public sealed class ResourceLogs(bool writeToConsole, string directory) : IDisposable
{
    private const int TailLines = 400;
    private static readonly ConsoleColor[] s_colors = [ConsoleColor.Cyan, ConsoleColor.Green, ConsoleColor.Yellow, ConsoleColor.Magenta, ConsoleColor.Blue, ConsoleColor.DarkCyan, ConsoleColor.DarkYellow, ConsoleColor.DarkGreen];
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _tails = new();
    private readonly ConcurrentDictionary<string, StreamWriter> _files = new();
    private readonly ConcurrentDictionary<string, ConsoleColor> _colorByResource = new();
    private readonly Lock _consoleLock = new();

    public string Directory { get; } = directory;

    public void Write(string resource, string line)
    {
        var tail = _tails.GetOrAdd(resource, _ => new ConcurrentQueue<string>());
        tail.Enqueue(line);
        while (tail.Count > TailLines && tail.TryDequeue(out _))
        {
        }

        var file = _files.GetOrAdd(resource, name =>
        {
            System.IO.Directory.CreateDirectory(Directory);
            return new StreamWriter(Path.Combine(Directory, name + ".log"), append: true) { AutoFlush = true };
        });
        lock (file)
        {
            file.WriteLine(line);
        }

        if (writeToConsole)
        {
            var color = _colorByResource.GetOrAdd(resource, _ => s_colors[_colorByResource.Count % s_colors.Length]);
            lock (_consoleLock)
            {
                Console.ForegroundColor = color;
                Console.Write($"[{resource}] ");
                Console.ResetColor();
                Console.WriteLine(line);
            }
        }
    }

    /// <summary>Messages of the orchestrator itself, always shown on an interactive console.</summary>
    public void Info(string message) => Write("apphost", message);

    public IReadOnlyList<string> Tail(string resource) => _tails.TryGetValue(resource, out var q) ? q.ToArray() : [];

    public void Dispose()
    {
        foreach (var file in _files.Values)
        {
            lock (file)
            {
                file.Dispose();
            }
        }

        _files.Clear();
    }
}
