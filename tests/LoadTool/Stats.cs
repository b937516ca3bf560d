using System.Diagnostics;
using System.Net.Sockets;
using HdrHistogram;

namespace Library.LoadTool;

/// <summary>
/// Counters and latency histograms owned by one thread. A virtual connection records on whatever thread-pool thread
/// its request completed on, with no await between fetching the thread's stats and updating them, so recording
/// needs no lock. With thousands of connections this keeps memory at "threads x histograms" instead of
/// "connections x histograms"; everything is merged once, after all workers have finished.
/// </summary>
internal sealed class ThreadStats
{
    public const int StatusSlots = 600;

    private readonly long _highest;

    public ThreadStats(int entries, long highestMicros)
    {
        _highest = highestMicros;
        Latency = NewHistogram(highestMicros);
        QueueWait = NewHistogram(highestMicros);
        EntryLatency = new LongHistogram?[entries];
        EntryCount = new long[entries];
        EntryErrors = new long[entries];
    }

    public LongHistogram Latency { get; }

    /// <summary>Time from the intended start to the actual send (open loop: waiting for a free connection).</summary>
    public LongHistogram QueueWait { get; }

    public LongHistogram?[] EntryLatency { get; }

    public long[] EntryCount { get; }

    public long[] EntryErrors { get; }

    public long[] StatusCounts { get; } = new long[StatusSlots];

    public Dictionary<string, long> ErrorKinds { get; } = new(StringComparer.Ordinal);

    public long Requests;
    public long Errors;
    public long WarmupRequests;
    public long NotSent;
    public long Completed;

    public static LongHistogram NewHistogram(long highestMicros) => new(1, highestMicros, 3);

    public long Clamp(long micros) => micros > _highest ? _highest : micros < 0 ? 0 : micros;

    public void RecordLatency(int entry, long micros)
    {
        micros = Clamp(micros);
        Latency.RecordValue(micros);
        (EntryLatency[entry] ??= NewHistogram(_highest)).RecordValue(micros);
    }

    public void AddError(string kind)
    {
        ErrorKinds[kind] = ErrorKinds.GetValueOrDefault(kind) + 1;
    }
}

/// <summary>Per-thread statistics for one run, merged into a <see cref="RunSummary"/> at the end.</summary>
internal sealed class StatsCollector : IDisposable
{
    public const string TimeoutKind = "Timeout";
    public const string NotSentKind = "NotSent (queued past end of run)";

    private readonly ThreadLocal<ThreadStats> _local;
    private readonly int _entries;

    public StatsCollector(int entries, long highestMicros)
    {
        _entries = entries;
        HighestMicros = highestMicros;
        _local = new ThreadLocal<ThreadStats>(() => new ThreadStats(entries, highestMicros), trackAllValues: true);
    }

    public long HighestMicros { get; }

    /// <summary>Records one finished request. <paramref name="errorKind"/> is set when no full response arrived.</summary>
    /// <param name="entry">Index into the plan's entries.</param>
    /// <param name="startTimestamp">Latency origin: the intended start (open loop) or the actual start (closed loop).</param>
    /// <param name="sendTimestamp">When the connection actually began the request.</param>
    /// <param name="endTimestamp">When the response body had been read (or the request failed).</param>
    /// <param name="status">HTTP status, 0 if none.</param>
    /// <param name="errorKind">Set when no full response arrived (timeout, refused connection, ...).</param>
    /// <param name="measured">False during warm-up.</param>
    public void Record(int entry, long startTimestamp, long sendTimestamp, long endTimestamp, int status, string? errorKind, bool measured)
    {
        var s = _local.Value!;
        s.Completed++;
        if (!measured)
        {
            s.WarmupRequests++;
            return;
        }

        s.Requests++;
        s.EntryCount[entry]++;
        s.QueueWait.RecordValue(s.Clamp(Stopwatch.GetElapsedTime(startTimestamp, sendTimestamp).Ticks / TimeSpan.TicksPerMicrosecond));
        bool isError;
        bool recordLatency;
        if (errorKind is not null)
        {
            isError = true;
            s.AddError(errorKind);

            // A timeout's latency is a real (lower-bound) observation; a refused or reset connection's is not.
            recordLatency = string.Equals(errorKind, TimeoutKind, StringComparison.Ordinal);
        }
        else
        {
            s.StatusCounts[status is >= 0 and < ThreadStats.StatusSlots ? status : 0]++;
            isError = status is < 200 or >= 400;
            recordLatency = true;
        }

        if (isError)
        {
            s.Errors++;
            s.EntryErrors[entry]++;
        }

        if (recordLatency)
        {
            s.RecordLatency(entry, Stopwatch.GetElapsedTime(startTimestamp, endTimestamp).Ticks / TimeSpan.TicksPerMicrosecond);
        }
    }

    /// <summary>An open-loop request whose intended start was inside the window but which was never sent.</summary>
    public void RecordNotSent(bool measured)
    {
        var s = _local.Value!;
        if (!measured)
        {
            return;
        }

        s.NotSent++;
        s.Errors++;
        s.AddError(NotSentKind);
    }

    /// <summary>Racy but harmless running total for progress lines.</summary>
    public long CompletedSoFar()
    {
        long total = 0;
        foreach (var s in _local.Values)
        {
            total += Volatile.Read(ref s.Completed);
        }

        return total;
    }

    public RunSummary Merge()
    {
        var summary = new RunSummary(_entries, HighestMicros);
        foreach (var s in _local.Values)
        {
            summary.Requests += s.Requests;
            summary.Errors += s.Errors;
            summary.WarmupRequests += s.WarmupRequests;
            summary.NotSent += s.NotSent;
            summary.Latency.Add(s.Latency);
            summary.QueueWait.Add(s.QueueWait);
            for (int i = 0; i < _entries; i++)
            {
                summary.EntryCount[i] += s.EntryCount[i];
                summary.EntryErrors[i] += s.EntryErrors[i];
                if (s.EntryLatency[i] is { } h)
                {
                    summary.EntryLatency[i].Add(h);
                }
            }

            for (int code = 0; code < ThreadStats.StatusSlots; code++)
            {
                if (s.StatusCounts[code] > 0)
                {
                    summary.StatusCounts[code] = summary.StatusCounts.GetValueOrDefault(code) + s.StatusCounts[code];
                }
            }

            foreach (var (kind, n) in s.ErrorKinds)
            {
                summary.ErrorKinds[kind] = summary.ErrorKinds.GetValueOrDefault(kind) + n;
            }
        }

        return summary;
    }

    public void Dispose() => _local.Dispose();

    /// <summary>Short, stable label for a failed request (no HTTP response).</summary>
    public static string DescribeException(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException se)
            {
                return se.SocketErrorCode.ToString();
            }
        }

        return ex switch
        {
            HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } hre => hre.HttpRequestError.ToString(),
            _ => ex.GetType().Name,
        };
    }
}

/// <summary>Merged results of a run.</summary>
internal sealed class RunSummary
{
    public RunSummary(int entries, long highestMicros)
    {
        Latency = ThreadStats.NewHistogram(highestMicros);
        QueueWait = ThreadStats.NewHistogram(highestMicros);
        EntryLatency = new LongHistogram[entries];
        for (int i = 0; i < entries; i++)
        {
            EntryLatency[i] = ThreadStats.NewHistogram(highestMicros);
        }

        EntryCount = new long[entries];
        EntryErrors = new long[entries];
    }

    public long Requests { get; set; }

    public long Errors { get; set; }

    public long WarmupRequests { get; set; }

    /// <summary>Open loop: requests due inside the window that were still queued when the run ended (counted as errors).</summary>
    public long NotSent { get; set; }

    public LongHistogram Latency { get; }

    public LongHistogram QueueWait { get; }

    public LongHistogram[] EntryLatency { get; }

    public long[] EntryCount { get; }

    public long[] EntryErrors { get; }

    public SortedDictionary<int, long> StatusCounts { get; } = [];

    public Dictionary<string, long> ErrorKinds { get; } = new(StringComparer.Ordinal);

    /// <summary>Seconds of the measurement window that actually ran (shorter than --duration after Ctrl+C).</summary>
    public double MeasuredSeconds { get; set; }

    public bool Interrupted { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public double RequestsPerSecond => MeasuredSeconds > 0 ? Requests / MeasuredSeconds : 0;

    /// <summary>CPU the run's processes spent in the measured window (null when not measured).</summary>
    public CpuUsage? Cpu { get; set; }

    /// <summary>CPU the run's processes spent while idle just before the load (the baseline), if measured.</summary>
    public CpuUsage? IdleCpu { get; set; }
}
