using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Library.LoadTool;

/// <summary>A connection the closed and open loops drive: it sends one request per call and records it.</summary>
internal interface ILoadConnection : IDisposable
{
    /// <summary>
    /// Sends one request and records it. Latency runs from <paramref name="startTimestamp"/>, which in open-loop
    /// mode is the request's intended start time, so time spent waiting for a free connection is included.
    /// </summary>
    Task ExecuteAsync(long startTimestamp, bool measured);
}

/// <summary>
/// One virtual connection: its own HttpClient over its own SocketsHttpHandler limited to one connection, so N
/// virtual connections really are N TCP connections (HTTP/1.1 keep-alive, never recycled by the pool).
/// </summary>
internal sealed class VirtualConnection : ILoadConnection
{
    private const int BufferSize = 8 * 1024;

    private readonly HttpClient _client;
    private readonly RequestPlan _plan;
    private readonly IdPools _pools;
    private readonly StatsCollector _stats;
    private readonly TimeSpan _timeout;
    private readonly CancellationToken _abort;
    private readonly byte[] _buffer;
    private CancellationTokenSource _cts;

    public VirtualConnection(Options options, RequestPlan plan, IdPools pools, StatsCollector stats, CancellationToken abort)
    {
        _client = CreateClient(options);
        _plan = plan;
        _pools = pools;
        _stats = stats;
        _timeout = options.Timeout;
        _abort = abort;
        _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        _cts = CancellationTokenSource.CreateLinkedTokenSource(abort);
    }

    /// <summary>
    /// An HttpClient that is one keep-alive TCP connection to the target, never recycled, with the --header
    /// headers, no proxy, cookies, redirects or decompression, and no client-wide timeout (callers apply
    /// --timeout per request).
    /// </summary>
    public static HttpClient CreateClient(Options options)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = options.Timeout,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        var client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        foreach (var (name, value) in options.Headers)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation(name, value);
        }

        return client;
    }

    /// <inheritdoc />
    public async Task ExecuteAsync(long startTimestamp, bool measured)
    {
        long sendTimestamp = Stopwatch.GetTimestamp();
        int entryIndex = _plan.Pick();
        int status = 0;
        string? errorKind = null;
        HttpRequestMessage? request = null;
        try
        {
            request = _plan.Entries[entryIndex].CreateRequest(_pools);
            _cts.CancelAfter(_timeout);
            var token = _cts.Token;
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
            status = (int)response.StatusCode;
            using var body = await response.Content.ReadAsStreamAsync(token);
            var buffer = _buffer.AsMemory();
            while (await body.ReadAsync(buffer, token) > 0)
            {
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            return; // Ctrl+C: not a result
        }
        catch (OperationCanceledException)
        {
            errorKind = StatsCollector.TimeoutKind;
        }
        catch (Exception ex)
        {
            errorKind = StatsCollector.DescribeException(ex);
        }
        finally
        {
            request?.Dispose();
            if (!_cts.TryReset())
            {
                _cts.Dispose();
                _cts = CancellationTokenSource.CreateLinkedTokenSource(_abort);
            }
        }

        _stats.Record(entryIndex, startTimestamp, sendTimestamp, Stopwatch.GetTimestamp(), status, errorKind, measured);
    }

    public void Dispose()
    {
        _client.Dispose();
        _cts.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
    }
}

/// <summary>Runs the warm-up and the measured window in closed- or open-loop mode.</summary>
internal static class LoadRunner
{
    private const long Stop = long.MinValue;

    public static Task<RunSummary> RunAsync(
        Options options, RequestPlan plan, IdPools pools, CpuMeter? cpu, TextWriter log, CancellationToken abort)
        => RunAsync(options, plan.Entries.Length, stats => new VirtualConnection(options, plan, pools, stats, abort), cpu, TimeSpan.Zero, log, abort);

    /// <summary>
    /// Runs warm-up and measured window over <see cref="Options.Connections"/> connections made by
    /// <paramref name="connect"/>, which record into the collector they are given (<paramref name="entries"/> entries).
    /// With a <paramref name="cpu"/> meter, the run's processes' CPU is read when the measured window starts and
    /// <paramref name="cpuTail"/> after it ends (the tail lets asynchronous work the window started finish).
    /// </summary>
    public static async Task<RunSummary> RunAsync(
        Options options, int entries, Func<StatsCollector, ILoadConnection> connect, CpuMeter? cpu, TimeSpan cpuTail, TextWriter log, CancellationToken abort)
    {
        // Latency can include queueing for the whole run in open-loop mode; size the histograms for that.
        long highestMicros = (long)(options.Warmup + options.Duration + (3 * options.Timeout)).TotalMicroseconds + 60_000_000;
        using var stats = new StatsCollector(entries, highestMicros);
        var connections = new ILoadConnection[options.Connections];
        for (int i = 0; i < connections.Length; i++)
        {
            connections[i] = connect(stats);
        }

        var startedAt = DateTimeOffset.UtcNow;
        long t0 = Stopwatch.GetTimestamp();
        long measureStart = t0 + ToTicks(options.Warmup);
        long end = measureStart + ToTicks(options.Duration);
        long drainDeadline = end + ToTicks(options.Timeout);

        // When the run is interrupted the measured window ends at the interruption, otherwise at its planned end.
        var abortedAt = new StrongBox<long>(0);
        using var onAbort = abort.Register(() => Interlocked.CompareExchange(ref abortedAt.Value, Stopwatch.GetTimestamp(), 0));
        using var progressStop = new CancellationTokenSource();
        var progress = ReportProgressAsync(options, stats, t0, measureStart, end, log, progressStop.Token);
        CpuReading? cpuAtStart = null;
        var cpuWindow = cpu is null ? Task.CompletedTask : Task.Run(
            async () =>
            {
                await DelayUntilAsync(measureStart, abort);
                cpuAtStart = cpu.Read();
            },
            CancellationToken.None);
        long stoppedAt;
        try
        {
            if (options.Mode == LoadMode.Closed)
            {
                var workers = new Task[connections.Length];

                // Spread connection set-up over at most half the warm-up (1 ms per connection) rather than
                // opening thousands of sockets in the same instant.
                long ramp = Math.Min(ToTicks(options.Warmup) / 2, ToTicks(TimeSpan.FromMilliseconds(connections.Length)));
                for (int i = 0; i < connections.Length; i++)
                {
                    workers[i] = ClosedLoopAsync(connections[i], t0 + (ramp * i / connections.Length), measureStart, end, abort);
                }

                await Task.WhenAll(workers);
            }
            else
            {
                // Bounded so a stalled target cannot grow the queue without limit; when it is full the dispatcher
                // waits, and the intended times it then hands out are already in the past, so that wait is
                // still charged to latency.
                var queue = Channel.CreateBounded<long>(new BoundedChannelOptions(Math.Max(connections.Length * 4, 100_000))
                {
                    SingleWriter = true,
                    SingleReader = false,
                    FullMode = BoundedChannelFullMode.Wait,
                });
                var workers = new Task[connections.Length];
                for (int i = 0; i < connections.Length; i++)
                {
                    workers[i] = OpenLoopWorkerAsync(connections[i], queue.Reader, measureStart, drainDeadline, stats, abort);
                }

                await DispatchOnDedicatedThread(queue.Writer, options.Rate!.Value, t0, end, connections.Length, abort);
                await Task.WhenAll(workers);
            }
        }
        finally
        {
            long interruptedAt = Interlocked.Read(ref abortedAt.Value);
            stoppedAt = interruptedAt == 0 ? end : Math.Min(interruptedAt, end);
            await progressStop.CancelAsync();
            await progress;
            foreach (var c in connections)
            {
                c.Dispose();
            }
        }

        var summary = stats.Merge();
        await cpuWindow;
        if (cpu is not null && cpuAtStart is not null)
        {
            if (cpuTail > TimeSpan.Zero && !abort.IsCancellationRequested)
            {
                log.WriteLine($"cpu: waiting {Options.FormatDuration(cpuTail)} for work the window started to finish");
                await DelayUntilAsync(Stopwatch.GetTimestamp() + ToTicks(cpuTail), abort);
            }

            summary.Cpu = cpu.Read().Since(cpuAtStart);
        }

        summary.StartedAt = startedAt;
        summary.Interrupted = abort.IsCancellationRequested;
        summary.MeasuredSeconds = Math.Max(0, Stopwatch.GetElapsedTime(measureStart, Math.Max(measureStart, stoppedAt)).TotalSeconds);
        return summary;
    }

    private static long ToTicks(TimeSpan t) => (long)(t.TotalSeconds * Stopwatch.Frequency);

    private static async Task DelayUntilAsync(long timestamp, CancellationToken abort)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (wait > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(wait, abort);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static async Task ClosedLoopAsync(
        ILoadConnection connection, long firstStart, long measureStart, long end, CancellationToken abort)
    {
        try
        {
            var delay = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), firstStart);
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, abort);
            }

            while (!abort.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                if (start >= end)
                {
                    return;
                }

                await connection.ExecuteAsync(start, start >= measureStart);
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// The single open-loop dispatcher, on its own thread: request i is due at t0 + i/rate. Every due request is
    /// queued with its intended start time whether or not a connection is free. The thread sleeps until the next
    /// due time (sub-millisecond where the OS allows, see <see cref="PreciseSleep"/>); requests that fell due while
    /// it slept are queued together, each with its own earlier intended time, so sleep overshoot shows up as
    /// latency rather than being hidden.
    /// </summary>
    private static Task DispatchOnDedicatedThread(
        ChannelWriter<long> writer, double rate, long t0, long end, int workers, CancellationToken abort)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Dispatch(writer, rate, t0, end, workers, abort);
                done.SetResult();
            }
            catch (Exception ex)
            {
                writer.TryComplete(ex);
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "open-loop dispatcher",
            Priority = ThreadPriority.AboveNormal,
        };
        thread.Start();
        return done.Task;
    }

    private static void Dispatch(ChannelWriter<long> writer, double rate, long t0, long end, int workers, CancellationToken abort)
    {
        double period = Stopwatch.Frequency / rate;
        long i = 0;
        try
        {
            while (!abort.IsCancellationRequested)
            {
                long intended = t0 + (long)(i * period);
                if (intended >= end)
                {
                    break;
                }

                long now = Stopwatch.GetTimestamp();
                if (intended > now)
                {
                    PreciseSleep(Stopwatch.GetElapsedTime(now, intended));
                    continue;
                }

                if (!writer.TryWrite(intended))
                {
                    // Queue full (the target is far behind): block this thread until there is room.
                    writer.WriteAsync(intended, abort).AsTask().GetAwaiter().GetResult();
                }

                i++;
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
        }

        // One stop marker per worker, queued behind any backlog.
        for (int w = 0; w < workers; w++)
        {
            if (!writer.TryWrite(Stop))
            {
                writer.WriteAsync(Stop, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            }
        }

        writer.Complete();
    }

    private static bool s_nativeSleep = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD();

    /// <summary>
    /// Thread.Sleep and Task.Delay only have millisecond granularity (Task.Delay(1) can take several ms), which at
    /// thousands of requests per second would add up to a millisecond or more of scheduling lag to every latency.
    /// Sub-millisecond waits therefore use usleep(3) where available (about 0.1 ms of overshoot), falling back to
    /// Thread.Sleep(1) elsewhere.
    /// </summary>
    private static void PreciseSleep(TimeSpan wait)
    {
        if (wait >= TimeSpan.FromMilliseconds(2))
        {
            // Wake a millisecond early and finish with a short sleep; at most 50 ms at a time to notice Ctrl+C.
            Thread.Sleep(Math.Min(50, (int)wait.TotalMilliseconds - 1));
            return;
        }

        if (s_nativeSleep)
        {
            try
            {
                _ = NativeMethods.usleep((uint)Math.Max(1, wait.TotalMicroseconds));
                return;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                s_nativeSleep = false;
            }
        }

        Thread.Sleep(1);
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "usleep")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        [SuppressMessage("Interoperability", "SYSLIB1054", Justification = "Blittable uint argument; LibraryImport would need AllowUnsafeBlocks.")]
        [SuppressMessage("Style", "IDE1006", Justification = "Native function name.")]
        public static extern int usleep(uint microseconds);
    }

    private static async Task OpenLoopWorkerAsync(
        ILoadConnection connection,
        ChannelReader<long> reader,
        long measureStart,
        long drainDeadline,
        StatsCollector stats,
        CancellationToken abort)
    {
        // ReadAsync (not WaitToReadAsync) so each queued item wakes exactly one idle connection.
        while (true)
        {
            long intended = await reader.ReadAsync(CancellationToken.None);
            if (intended == Stop)
            {
                return;
            }

            bool measured = intended >= measureStart;
            if (abort.IsCancellationRequested || Stopwatch.GetTimestamp() > drainDeadline)
            {
                // Still queued a full timeout after the end: the target is far behind. Count it, don't send it.
                if (!abort.IsCancellationRequested)
                {
                    stats.RecordNotSent(measured);
                }

                continue;
            }

            await connection.ExecuteAsync(intended, measured);
        }
    }

    private static async Task ReportProgressAsync(
        Options options, StatsCollector stats, long t0, long measureStart, long end, TextWriter log, CancellationToken stop)
    {
        var interval = options.Warmup + options.Duration <= TimeSpan.FromSeconds(20) ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(5);
        using var timer = new PeriodicTimer(interval);
        long last = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                long now = Stopwatch.GetTimestamp();
                long done = stats.CompletedSoFar();
                string phase = now < measureStart ? "warm-up" : now < end ? "measuring" : "draining";
                log.WriteLine(
                    $"[{Stopwatch.GetElapsedTime(t0, now).TotalSeconds,6:0.0}s] {phase,-9} completed {done,9}  ({(done - last) / interval.TotalSeconds:0} req/s)");
                last = done;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
