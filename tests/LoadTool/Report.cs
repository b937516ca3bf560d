using System.Globalization;
using System.Text;
using System.Text.Json;
using HdrHistogram;

namespace Library.LoadTool;

/// <summary>Writes the plain-text report and the optional JSON summary.</summary>
internal static class Report
{
    public static readonly (string Label, double Percentile)[] Percentiles =
    [
        ("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99), ("p99.9", 99.9),
    ];

    private static readonly string[] SecretHeaders = ["authorization", "proxy-authorization", "cookie", "x-api-key", "api-key"];

    public static void WriteText(
        TextWriter w, Options options, RequestPlan plan, IdPools pools, IReadOnlyList<string> warnings, RunSummary s, string commandLine)
    {
        var ci = CultureInfo.InvariantCulture;
        w.WriteLine();
        w.WriteLine("=== Library load test ===");
        w.WriteLine($"command      : {commandLine}");
        w.WriteLine($"base url     : {options.BaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/')}");
        w.WriteLine(options.Mode == LoadMode.Closed
            ? "mode         : closed loop (each connection sends its next request as soon as the previous completes)"
            : "mode         : open loop (constant arrival rate; latency from intended start time, coordinated-omission corrected)");
        w.WriteLine($"connections  : {options.Connections}");
        w.WriteLine(options.Mode == LoadMode.Open
            ? string.Create(ci, $"rate         : {options.Rate:0.###} req/s target")
            : "rate         : unbounded (closed loop)");
        w.WriteLine($"duration     : {Options.FormatDuration(options.Duration)} measured after {Options.FormatDuration(options.Warmup)} warm-up; timeout {Options.FormatDuration(options.Timeout)} per request");
        w.WriteLine($"workload     : {plan.Description}");
        w.WriteLine($"id pools     : books {pools.Books.Length}, patrons {pools.Patrons.Length}, loans {pools.Loans.Length}");
        w.WriteLine($"started      : {s.StartedAt:yyyy-MM-dd HH:mm:ss}Z{(s.Interrupted ? "  (INTERRUPTED - partial results)" : string.Empty)}");
        w.WriteLine();
        WriteRunText(w, options, s);
        s.Cpu?.Write(w, "request", s.Requests, s.IdleCpu);
        w.WriteLine();
        int nameWidth = Math.Max(12, plan.Entries.Max(e => e.Name.Length));
        w.WriteLine($"{"entry".PadRight(nameWidth)}  {"weight",7} {"share",7} {"count",9} {"errors",8} {"p50 ms",10} {"p99 ms",10}");
        for (int i = 0; i < plan.Entries.Length; i++)
        {
            var e = plan.Entries[i];
            if (!e.Enabled)
            {
                w.WriteLine($"{e.Name.PadRight(nameWidth)}  {e.Weight.ToString("0.##", ci),7}    disabled: {e.DisabledReason}");
                continue;
            }

            var h = s.EntryLatency[i];
            w.WriteLine(string.Create(ci,
                $"{e.Name.PadRight(nameWidth)}  {e.Weight,7:0.##} {plan.ShareOf(e) * 100,6:0.0}% {s.EntryCount[i],9} {s.EntryErrors[i],8} {Ms(h, 50),10} {Ms(h, 99),10}"));
        }

        if (warnings.Count > 0)
        {
            w.WriteLine();
            foreach (string warning in warnings)
            {
                w.WriteLine($"warning: {warning}");
            }
        }
    }

    /// <summary>Requests, throughput, latency, status codes and errors of a run (shared with the borrow-saga report).</summary>
    public static void WriteRunText(TextWriter w, Options options, RunSummary s)
    {
        var ci = CultureInfo.InvariantCulture;
        w.WriteLine($"requests     : {s.Requests} completed in {s.MeasuredSeconds.ToString("0.###", ci)}s (+{s.WarmupRequests} in warm-up, not recorded)"
            + (s.NotSent > 0 ? $"; {s.NotSent} due but never sent" : string.Empty));
        double okPerSecond = s.MeasuredSeconds > 0 ? (s.Requests - (s.Errors - s.NotSent)) / s.MeasuredSeconds : 0;
        w.WriteLine(string.Create(ci, $"throughput   : {s.RequestsPerSecond:0.0} req/s achieved, {okPerSecond:0.0} req/s without errors")
            + (options.Mode == LoadMode.Open ? string.Create(ci, $" (target {options.Rate:0.###})") : string.Empty));

        var sb = new StringBuilder();
        foreach (var (label, p) in Percentiles)
        {
            sb.Append(ci, $"{label} {Ms(s.Latency, p)}  ");
        }

        sb.Append(ci, $"max {MaxMs(s.Latency)}  (n={s.Latency.TotalCount})");
        w.WriteLine($"latency (ms) : {sb}");
        if (options.Mode == LoadMode.Open)
        {
            // Part of the latency above: intended start -> actual send (dispatcher timer granularity + waiting for a free connection).
            w.WriteLine($"  of which queued (ms): p50 {Ms(s.QueueWait, 50)}  p99 {Ms(s.QueueWait, 99)}  max {MaxMs(s.QueueWait)}");
        }

        w.WriteLine($"status codes : {(s.StatusCounts.Count == 0 ? "none" : string.Join(", ", s.StatusCounts.Select(kv => $"{kv.Key}: {kv.Value}")))}");

        long attempted = s.Requests + s.NotSent;
        w.WriteLine(string.Create(ci, $"errors       : {s.Errors} ({(attempted == 0 ? 0 : 100.0 * s.Errors / attempted):0.##}%)"));
        foreach (var (code, n) in s.StatusCounts)
        {
            if (code is < 200 or >= 400)
            {
                w.WriteLine($"  HTTP {code,-27}: {n}");
            }
        }

        foreach (var (kind, n) in s.ErrorKinds.OrderByDescending(kv => kv.Value))
        {
            w.WriteLine($"  {kind,-32}: {n}");
        }
    }

    public static void WriteJson(
        string file, Options options, RequestPlan plan, IdPools pools, IReadOnlyList<string> warnings, RunSummary s, string commandLine)
    {
        using var stream = File.Create(file);
        using var j = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        j.WriteStartObject();
        j.WriteString("tool", "Library.LoadTool");
        j.WriteString("commandLine", commandLine);
        j.WriteString("startedAtUtc", s.StartedAt);
        j.WriteBoolean("interrupted", s.Interrupted);
        j.WriteString("baseUrl", options.BaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/'));
        j.WriteString("mode", options.Mode == LoadMode.Closed ? "closed" : "open");
        j.WriteNumber("connections", options.Connections);
        if (options.Rate is { } rate)
        {
            j.WriteNumber("targetRate", rate);
        }
        else
        {
            j.WriteNull("targetRate");
        }

        j.WriteNumber("durationSeconds", options.Duration.TotalSeconds);
        j.WriteNumber("warmupSeconds", options.Warmup.TotalSeconds);
        j.WriteNumber("timeoutSeconds", options.Timeout.TotalSeconds);
        j.WriteString("workload", plan.Description);
        j.WriteStartObject("idPools");
        j.WriteNumber("books", pools.Books.Length);
        j.WriteNumber("patrons", pools.Patrons.Length);
        j.WriteNumber("loans", pools.Loans.Length);
        j.WriteEndObject();

        WriteRunJson(j, s);

        j.WriteStartArray("entries");
        for (int i = 0; i < plan.Entries.Length; i++)
        {
            var e = plan.Entries[i];
            j.WriteStartObject();
            j.WriteString("name", e.Name);
            j.WriteString("method", e.MethodName);
            j.WriteString("path", e.Path);
            j.WriteNumber("weight", e.Weight);
            j.WriteBoolean("enabled", e.Enabled);
            if (e.DisabledReason is not null)
            {
                j.WriteString("disabledReason", e.DisabledReason);
            }

            j.WriteNumber("share", Math.Round(plan.ShareOf(e), 4));
            j.WriteNumber("count", s.EntryCount[i]);
            j.WriteNumber("errors", s.EntryErrors[i]);
            j.WriteNumber("p50Ms", MsValue(s.EntryLatency[i], 50));
            j.WriteNumber("p99Ms", MsValue(s.EntryLatency[i], 99));
            j.WriteEndObject();
        }

        j.WriteEndArray();

        j.WriteStartArray("warnings");
        foreach (string warning in warnings)
        {
            j.WriteStringValue(warning);
        }

        j.WriteEndArray();
        j.WriteEndObject();
    }

    /// <summary>The JSON counterpart of <see cref="WriteRunText"/>: properties of the current object.</summary>
    public static void WriteRunJson(Utf8JsonWriter j, RunSummary s)
    {
        j.WriteNumber("measuredSeconds", Math.Round(s.MeasuredSeconds, 3));
        j.WriteNumber("totalRequests", s.Requests);
        j.WriteNumber("warmupRequests", s.WarmupRequests);
        j.WriteNumber("notSent", s.NotSent);
        j.WriteNumber("requestsPerSecond", Math.Round(s.RequestsPerSecond, 2));
        foreach (var (name, usage) in new[] { ("cpuSeconds", s.Cpu), ("idleCpuSeconds", s.IdleCpu) })
        {
            if (usage is not null)
            {
                j.WriteStartObject(name);
                j.WriteNumber("windowSeconds", Math.Round(usage.WallSeconds, 3));
                j.WriteNumber("total", Math.Round(usage.TotalSeconds, 3));
                j.WriteNumber("loadTool", Math.Round(usage.LoadToolSeconds, 3));
                foreach (var (resource, seconds) in usage.Seconds.OrderBy(r => r.Key, StringComparer.Ordinal))
                {
                    j.WriteNumber(resource, Math.Round(seconds, 3));
                }

                j.WriteEndObject();
            }
        }

        j.WriteStartObject("latencyMs");
        j.WriteNumber("count", s.Latency.TotalCount);
        foreach (var (label, p) in Percentiles)
        {
            j.WriteNumber(label, MsValue(s.Latency, p));
        }

        j.WriteNumber("max", MaxMsValue(s.Latency));
        j.WriteNumber("mean", s.Latency.TotalCount == 0 ? 0 : Math.Round(s.Latency.GetMean() / 1000.0, 3));
        j.WriteEndObject();

        j.WriteStartObject("queueWaitMs");
        j.WriteNumber("p50", MsValue(s.QueueWait, 50));
        j.WriteNumber("p99", MsValue(s.QueueWait, 99));
        j.WriteNumber("max", MaxMsValue(s.QueueWait));
        j.WriteEndObject();

        j.WriteStartObject("statusCodes");
        foreach (var (code, n) in s.StatusCounts)
        {
            j.WriteNumber(code.ToString(CultureInfo.InvariantCulture), n);
        }

        j.WriteEndObject();

        j.WriteStartObject("errors");
        j.WriteNumber("total", s.Errors);
        j.WriteStartObject("byStatus");
        foreach (var (code, n) in s.StatusCounts)
        {
            if (code is < 200 or >= 400)
            {
                j.WriteNumber(code.ToString(CultureInfo.InvariantCulture), n);
            }
        }

        j.WriteEndObject();
        j.WriteStartObject("byException");
        foreach (var (kind, n) in s.ErrorKinds)
        {
            j.WriteNumber(kind, n);
        }

        j.WriteEndObject();
        j.WriteEndObject();
    }

    /// <summary>Writes <c>name: {count, p50, p90, p95, p99, p99.9, max, mean}</c> in milliseconds from a microsecond histogram.</summary>
    public static void WriteLatencyJson(Utf8JsonWriter j, string name, HistogramBase h)
    {
        j.WriteStartObject(name);
        j.WriteNumber("count", h.TotalCount);
        foreach (var (label, p) in Percentiles)
        {
            j.WriteNumber(label, MsValue(h, p));
        }

        j.WriteNumber("max", MaxMsValue(h));
        j.WriteNumber("mean", h.TotalCount == 0 ? 0 : Math.Round(h.GetMean() / 1000.0, 3));
        j.WriteEndObject();
    }

    /// <summary>"p50 1.234  p90 ...  max 9.876  (n=123)" in milliseconds from a microsecond histogram.</summary>
    public static string LatencyLine(HistogramBase h)
    {
        var sb = new StringBuilder();
        foreach (var (label, p) in Percentiles)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{label} {Ms(h, p)}  ");
        }

        sb.Append(CultureInfo.InvariantCulture, $"max {MaxMs(h)}  (n={h.TotalCount})");
        return sb.ToString();
    }

    /// <summary>
    /// The command line as typed (shell-quoted), with credentials in --header values and the --amqp password masked.
    /// </summary>
    public static string CommandLine(string[] args)
    {
        var parts = new List<string> { "Library.LoadTool" };
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            bool headerValueNext = a is "-H" or "--header";
            bool amqpValueNext = a is "--amqp";
            if (a.StartsWith("--header=", StringComparison.Ordinal))
            {
                a = "--header=" + MaskHeader(a["--header=".Length..]);
            }
            else if (a.StartsWith("--amqp=", StringComparison.Ordinal))
            {
                a = "--amqp=" + Options.MaskUri(a["--amqp=".Length..]);
            }

            parts.Add(Quote(a));
            if (headerValueNext && i + 1 < args.Length)
            {
                parts.Add(Quote(MaskHeader(args[++i])));
            }
            else if (amqpValueNext && i + 1 < args.Length)
            {
                parts.Add(Quote(Options.MaskUri(args[++i])));
            }
        }

        return string.Join(' ', parts);
    }

    private static string MaskHeader(string header)
    {
        int colon = header.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !SecretHeaders.Contains(header[..colon].Trim().ToLowerInvariant()))
        {
            return header;
        }

        string value = header[(colon + 1)..].Trim();
        int space = value.IndexOf(' ', StringComparison.Ordinal);
        return $"{header[..colon]}: {(space > 0 ? value[..space] + " " : string.Empty)}***";
    }

    private static string Quote(string s)
    {
        if (s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,@%+{}".Contains(c, StringComparison.Ordinal)))
        {
            return s;
        }

        return "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    public static double MsValue(HistogramBase h, double percentile)
        => h.TotalCount == 0 ? 0 : Math.Round(h.GetValueAtPercentile(percentile) / 1000.0, 3);

    public static double MaxMsValue(HistogramBase h) => h.TotalCount == 0 ? 0 : Math.Round(h.GetMaxValue() / 1000.0, 3);

    public static string Ms(HistogramBase h, double percentile)
        => h.TotalCount == 0 ? "-" : MsValue(h, percentile).ToString("0.000", CultureInfo.InvariantCulture);

    public static string MaxMs(HistogramBase h)
        => h.TotalCount == 0 ? "-" : MaxMsValue(h).ToString("0.000", CultureInfo.InvariantCulture);
}
