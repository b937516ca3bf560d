using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using HdrHistogram;

namespace Library.LoadTool;

/// <summary>One borrow that got a 202 with an operation id, and what polling later learned about it.</summary>
internal sealed class SagaOperation(string bookId, string patronId, string operationId, bool measured)
{
    public string BookId { get; } = bookId;

    public string PatronId { get; } = patronId;

    public string OperationId { get; } = operationId;

    /// <summary>False for warm-up borrows, which are neither polled nor counted.</summary>
    public bool Measured { get; } = measured;

    /// <summary>Last status a poll returned; null while no poll has succeeded.</summary>
    public string? Status { get; set; }

    public string? FailureReason { get; set; }

    public DateTimeOffset? CreatedAt { get; set; }

    public DateTimeOffset? UpdatedAt { get; set; }

    /// <summary>Why the last poll failed (HTTP status or exception kind); null after a successful poll.</summary>
    public string? PollError { get; set; }

    public bool IsTerminal => Status is BorrowSaga.Borrowed or BorrowSaga.Released or BorrowSaga.Returned;
}

/// <summary>State shared by every connection of a borrow-saga run.</summary>
internal sealed class SagaRunState(string[] books, string[] patrons)
{
    private int _next = -1;
    private long _acceptedWithoutId;

    /// <summary>Fresh books, one per borrow, handed out in order.</summary>
    public string[] Books { get; } = books;

    /// <summary>Researcher patrons; borrow i goes to patron i mod count, so each gets at most ceil(books / patrons).</summary>
    public string[] Patrons { get; } = patrons;

    /// <summary>Indexed like <see cref="Books"/>; each slot is written once, by the connection that claimed the book.</summary>
    public SagaOperation?[] Operations { get; } = new SagaOperation?[books.Length];

    /// <summary>Measured non-2xx borrow responses by "status code" (problem+json <c>code</c>).</summary>
    public ConcurrentDictionary<string, long> Problems { get; } = new(StringComparer.Ordinal);

    public long AcceptedWithoutId => Interlocked.Read(ref _acceptedWithoutId);

    public int ClaimBook() => Interlocked.Increment(ref _next);

    public void CountAcceptedWithoutId() => Interlocked.Increment(ref _acceptedWithoutId);
}

/// <summary>
/// One open-loop connection of the borrow-saga scenario: <c>POST /books/{fresh book}/borrow {patronId}</c> with a new
/// Idempotency-Key per request, recorded like any other request; a 202's operation id is kept for polling.
/// </summary>
internal sealed class SagaConnection : ILoadConnection
{
    public const string NoBookKind = "NotSent (no fresh book left)";
    private const int BufferSize = 8 * 1024;

    private readonly HttpClient _client;
    private readonly SagaRunState _state;
    private readonly StatsCollector _stats;
    private readonly string _prefix;
    private readonly TimeSpan _timeout;
    private readonly CancellationToken _abort;
    private readonly byte[] _buffer;
    private CancellationTokenSource _cts;

    public SagaConnection(Options options, SagaRunState state, StatsCollector stats, CancellationToken abort)
    {
        _client = VirtualConnection.CreateClient(options);
        _state = state;
        _stats = stats;
        _prefix = options.BasePrefix;
        _timeout = options.Timeout;
        _abort = abort;
        _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        _cts = CancellationTokenSource.CreateLinkedTokenSource(abort);
    }

    /// <inheritdoc />
    public async Task ExecuteAsync(long startTimestamp, bool measured)
    {
        long sendTimestamp = Stopwatch.GetTimestamp();
        int index = _state.ClaimBook();
        if (index >= _state.Books.Length)
        {
            // Cannot happen with the pool sized by BorrowSaga.PlannedBorrows; counted rather than reusing a book.
            _stats.Record(0, startTimestamp, sendTimestamp, sendTimestamp, 0, NoBookKind, measured);
            return;
        }

        string bookId = _state.Books[index];
        string patronId = _state.Patrons[index % _state.Patrons.Length];
        int status = 0;
        string? errorKind = null;
        string? location = null;
        int length = 0;
        bool truncated = false;
        HttpRequestMessage? request = null;
        try
        {
            request = new HttpRequestMessage(HttpMethod.Post, new Uri($"{_prefix}/books/{bookId}/borrow", UriKind.Absolute));
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes($$"""{"patronId":"{{patronId}}"}"""));
            content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
            request.Content = content;
            request.Headers.TryAddWithoutValidation("Idempotency-Key", Guid.NewGuid().ToString());
            _cts.CancelAfter(_timeout);
            var token = _cts.Token;
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
            status = (int)response.StatusCode;
            location = response.Headers.Location?.OriginalString;
            using var body = await response.Content.ReadAsStreamAsync(token);
            while (true)
            {
                // Keep the first 8 KiB (a borrow operation or problem is a few hundred bytes); drain the rest.
                var target = truncated || length == _buffer.Length ? _buffer.AsMemory() : _buffer.AsMemory(length);
                int n = await body.ReadAsync(target, token);
                if (n == 0)
                {
                    break;
                }

                if (truncated || length == _buffer.Length)
                {
                    truncated = true;
                }
                else
                {
                    length += n;
                }
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

        _stats.Record(0, startTimestamp, sendTimestamp, Stopwatch.GetTimestamp(), status, errorKind, measured);
        if (errorKind is not null)
        {
            return;
        }

        var json = truncated ? ReadOnlySpan<byte>.Empty : _buffer.AsSpan(0, length);
        if (status == 202)
        {
            string? operationId = JsonProbe.TopLevelString(json, "id") ?? JsonProbe.LastSegment(location);
            if (operationId is null)
            {
                if (measured)
                {
                    _state.CountAcceptedWithoutId();
                }

                return;
            }

            _state.Operations[index] = new SagaOperation(bookId, patronId, operationId, measured);
        }
        else if (measured && status is < 200 or >= 300)
        {
            string key = $"{status} {JsonProbe.TopLevelString(json, "code") ?? "(no problem code)"}";
            _state.Problems.AddOrUpdate(key, 1, (_, n) => n + 1);
        }
    }

    public void Dispose()
    {
        _client.Dispose();
        _cts.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
    }
}

/// <summary>What polling found out about the measured sagas.</summary>
internal sealed class SagaOutcome
{
    public SagaOutcome(long highestMicros)
    {
        Latency = ThreadStats.NewHistogram(highestMicros);
    }

    public int Started { get; set; }

    public int Borrowed { get; set; }

    public int Released { get; set; }

    /// <summary>Borrowed and already returned by someone else; terminal, but its updatedAt is the return.</summary>
    public int Returned { get; set; }

    /// <summary>Still "reserved" at the settle deadline.</summary>
    public int Pending { get; set; }

    /// <summary>No poll ever succeeded.</summary>
    public int Unreadable { get; set; }

    public int OtherStatus { get; set; }

    /// <summary>updatedAt - createdAt of borrowed operations, microseconds.</summary>
    public LongHistogram Latency { get; }

    public SortedDictionary<string, int> FailureReasons { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, int> PollErrors { get; } = new(StringComparer.Ordinal);

    public List<string> PendingIds { get; } = [];

    public double PollSeconds { get; set; }

    public int PollRounds { get; set; }

    /// <summary>Polling stopped by Ctrl+C (or the run's hard limit) rather than by the settle deadline or completion.</summary>
    public bool PollInterrupted { get; set; }
}

/// <summary>
/// The borrow-saga scenario (SPEC §3): set-up creates researcher patrons and one fresh book per planned borrow; the open
/// loop borrows at --rate; then every measured operation is polled until it is terminal or --settle has passed.
/// </summary>
internal static class BorrowSaga
{
    public const string Borrowed = "borrowed";
    public const string Released = "released";
    public const string Returned = "returned";
    public const string Reserved = "reserved";

    /// <summary>Outstanding loans a researcher may have (SPEC §2 lending policy).</summary>
    public const int LoansPerPatron = 20;

    private const int PollConcurrency = 16;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Upper bound on the borrows the dispatcher can issue: request i is due at i / rate for i = 0, 1, ... while due
    /// before warm-up + duration, plus one for timer-tick rounding.
    /// </summary>
    public static int PlannedBorrows(Options options)
        => (int)Math.Ceiling(options.Rate!.Value * (options.Warmup + options.Duration).TotalSeconds) + 1;

    /// <summary>ceil(borrows / 20) and 10 % (at least 2) to spare, so nobody comes near the limit.</summary>
    public static int PlannedPatrons(int borrows)
    {
        int needed = (borrows + LoansPerPatron - 1) / LoansPerPatron;
        return needed + Math.Max(2, (needed + 9) / 10);
    }

    /// <summary>How long after the measured window the CPU reading waits for the sagas it started to finish.</summary>
    public static readonly TimeSpan SagaCpuTail = TimeSpan.FromSeconds(3);

    public static async Task<int> RunAsync(Options options, string[] args, TextWriter log, CancellationTokenSource abort)
    {
        int borrows = PlannedBorrows(options);
        int patronCount = PlannedPatrons(borrows);
        var warnings = new List<string>();

        string[] patrons;
        string[] books;
        using (var client = Setup.CreateSetupClient(options))
        {
            var p = await Setup.SeedAsync(
                client, options, "/patrons", patronCount, "researcher patrons", log,
                i => $$"""{"firstName":"Saga","lastName":"Researcher {{i + 1}}","email":"load-saga-{{Guid.NewGuid():N}}@example.com","membershipTier":"researcher"}""",
                abort.Token);
            if (p.Failure is not null)
            {
                log.WriteLine($"error: set-up failed: POST /patrons stopped after {p.Ids.Count}/{patronCount}: {p.Failure}");
                return 1;
            }

            var b = await Setup.SeedAsync(
                client, options, "/books", borrows, "books", log,
                i => $$"""{"title":"Saga Book {{i + 1}} {{Guid.NewGuid().ToString("N")[..8]}}","author":"Saga Author {{(i % 25) + 1}}"}""",
                abort.Token);
            if (b.Failure is not null)
            {
                log.WriteLine($"error: set-up failed: POST /books stopped after {b.Ids.Count}/{borrows}: {b.Failure}");
                return 1;
            }

            patrons = [.. p.Ids];
            books = [.. b.Ids];
        }

        if (abort.IsCancellationRequested)
        {
            return 1;
        }

        // Hard upper bound, as for the http scenario, plus the polling phase.
        abort.CancelAfter(options.Warmup + options.Duration + (4 * options.Timeout) + options.Settle + TimeSpan.FromSeconds(10));
        var state = new SagaRunState(books, patrons);
        log.WriteLine(
            $"running: borrow saga, open loop at {options.Rate!.Value.ToString("0.###", CultureInfo.InvariantCulture)} borrows/s, " +
            $"{options.Connections} connections, {Options.FormatDuration(options.Warmup)} warm-up + {Options.FormatDuration(options.Duration)} measured");
        // CPU: the measured window plus a tail for the sagas it started (they take well under a second when healthy),
        // read before polling begins so that the polling's own requests are not charged to the sagas.
        var cpu = await CpuMeter.PrepareAsync(options, log, abort.Token);
        var summary = await LoadRunner.RunAsync(options, 1, stats => new SagaConnection(options, state, stats, abort.Token), cpu?.Meter, SagaCpuTail, log, abort.Token);
        summary.IdleCpu = cpu?.Idle;

        var measured = new List<SagaOperation>();
        foreach (var op in state.Operations)
        {
            if (op is { Measured: true })
            {
                measured.Add(op);
            }
        }

        var outcome = await PollAsync(options, measured, log, abort.Token);
        Summarise(measured, outcome);
        int maxPerPatron = (books.Length + patrons.Length - 1) / patrons.Length;
        if (outcome.Pending > 0 && !outcome.PollInterrupted)
        {
            warnings.Add($"{outcome.Pending} saga(s) still {Reserved} {Options.FormatDuration(options.Settle)} after the run (stuck or slow)");
        }

        if (outcome.Unreadable > 0)
        {
            warnings.Add($"{outcome.Unreadable} operation(s) could not be read with GET /borrow-operations/{{id}}");
        }

        if (state.AcceptedWithoutId > 0)
        {
            warnings.Add($"{state.AcceptedWithoutId} 202 response(s) had neither an \"id\" nor a Location: not polled");
        }

        string commandLine = Report.CommandLine(args);
        var setup = new SagaSetup(books.Length, patrons.Length, maxPerPatron);
        WriteText(Console.Out, options, setup, summary, state, outcome, warnings, commandLine);
        if (options.JsonOut is not null)
        {
            WriteJson(options.JsonOut, options, setup, summary, state, outcome, warnings, commandLine);
            log.WriteLine($"summary written to {options.JsonOut}");
        }

        return 0;
    }

    private sealed record SagaSetup(int Books, int Patrons, int MaxBorrowsPerPatron);

    /// <summary>
    /// Polls GET /borrow-operations/{id} for every operation that is not terminal yet, in rounds 0.5 s apart, until
    /// all are terminal or --settle has passed since polling began.
    /// </summary>
    private static async Task<SagaOutcome> PollAsync(Options options, List<SagaOperation> operations, TextWriter log, CancellationToken abort)
    {
        long highestMicros = (long)TimeSpan.FromHours(1).TotalMicroseconds;
        var outcome = new SagaOutcome(highestMicros) { Started = operations.Count };
        if (operations.Count == 0)
        {
            return outcome;
        }

        using var client = Setup.CreateSetupClient(options, PollConcurrency);

        // Interrupted during the load: one round, so the report still says where each saga stood (a second
        // Ctrl+C kills the process). Otherwise rounds until --settle; the last may start just before it and
        // gets one request timeout to finish.
        bool interrupted = abort.IsCancellationRequested;
        var settle = interrupted ? TimeSpan.Zero : options.Settle;
        using var deadline = interrupted ? new CancellationTokenSource() : CancellationTokenSource.CreateLinkedTokenSource(abort);
        deadline.CancelAfter(settle + options.Timeout);
        outcome.PollInterrupted = interrupted;
        var started = Stopwatch.GetTimestamp();
        log.WriteLine(interrupted
            ? $"polling: {operations.Count} borrow operations, one round (interrupted) ..."
            : $"polling: {operations.Count} borrow operations, until all are terminal or {Options.FormatDuration(options.Settle)} have passed ...");
        var pending = operations;
        TimeSpan? lastLogged = null;
        try
        {
            while (pending.Count > 0)
            {
                outcome.PollRounds++;
                await Parallel.ForEachAsync(
                    pending,
                    new ParallelOptions { MaxDegreeOfParallelism = PollConcurrency, CancellationToken = deadline.Token },
                    async (op, ct) => await PollOneAsync(client, options.BasePrefix, op, ct));
                pending = pending.FindAll(op => !op.IsTerminal);
                var elapsed = Stopwatch.GetElapsedTime(started);
                bool last = pending.Count == 0 || elapsed >= settle;
                if (last || lastLogged is null || elapsed - lastLogged.Value >= TimeSpan.FromSeconds(2))
                {
                    lastLogged = elapsed;
                    log.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"polling: round {outcome.PollRounds} at {elapsed.TotalSeconds:0.0}s: {operations.Count - pending.Count} terminal, {pending.Count} not yet"));
                }

                if (last)
                {
                    break;
                }

                var wait = settle - elapsed;
                await Task.Delay(wait < PollInterval ? wait : PollInterval, deadline.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // The deadline (last round overran) or Ctrl+C: whatever was learnt so far stands.
            outcome.PollInterrupted |= abort.IsCancellationRequested;
        }

        outcome.PollSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return outcome;
    }

    private static async Task PollOneAsync(HttpClient client, string prefix, SagaOperation op, CancellationToken ct)
    {
        try
        {
            using var response = await client.GetAsync(new Uri($"{prefix}/borrow-operations/{op.OperationId}", UriKind.Absolute), ct);
            if (!response.IsSuccessStatusCode)
            {
                op.PollError = $"HTTP {(int)response.StatusCode}";
                return;
            }

            byte[] body = await response.Content.ReadAsByteArrayAsync(ct);
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            string? status = root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            if (status is null)
            {
                op.PollError = "no \"status\" in the response";
                return;
            }

            op.Status = status;
            op.PollError = null;
            op.FailureReason = root.TryGetProperty("failureReason", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            op.CreatedAt = ReadTime(root, "createdAt");
            op.UpdatedAt = ReadTime(root, "updatedAt");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            op.PollError = StatsCollector.TimeoutKind;
        }
        catch (JsonException)
        {
            op.PollError = "response is not JSON";
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            op.PollError = StatsCollector.DescribeException(ex);
        }
    }

    private static DateTimeOffset? ReadTime(JsonElement root, string name)
        => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.TryGetDateTimeOffset(out var t) ? t : null;

    private static void Summarise(List<SagaOperation> operations, SagaOutcome outcome)
    {
        foreach (var op in operations)
        {
            switch (op.Status)
            {
                case Borrowed:
                    outcome.Borrowed++;
                    if (op.CreatedAt is { } created && op.UpdatedAt is { } updated)
                    {
                        long micros = (updated - created).Ticks / TimeSpan.TicksPerMicrosecond;
                        outcome.Latency.RecordValue(Math.Clamp(micros, 0, outcome.Latency.HighestTrackableValue));
                    }

                    break;
                case Released:
                    outcome.Released++;
                    string reason = op.FailureReason ?? "(no reason)";
                    outcome.FailureReasons[reason] = outcome.FailureReasons.GetValueOrDefault(reason) + 1;
                    break;
                case Returned:
                    outcome.Returned++;
                    break;
                case Reserved:
                    outcome.Pending++;
                    outcome.PendingIds.Add(op.OperationId);
                    break;
                case null:
                    outcome.Unreadable++;
                    break;
                default:
                    outcome.OtherStatus++;
                    break;
            }

            if (op.PollError is { } error)
            {
                outcome.PollErrors[error] = outcome.PollErrors.GetValueOrDefault(error) + 1;
            }
        }
    }

    private static void WriteText(
        TextWriter w,
        Options options,
        SagaSetup setup,
        RunSummary s,
        SagaRunState state,
        SagaOutcome o,
        IReadOnlyList<string> warnings,
        string commandLine)
    {
        var ci = CultureInfo.InvariantCulture;
        w.WriteLine();
        w.WriteLine("=== Library load test: borrow saga ===");
        w.WriteLine($"command      : {commandLine}");
        w.WriteLine($"base url     : {options.BasePrefix}");
        w.WriteLine("scenario     : borrow-saga (POST /books/{id}/borrow, a fresh book each, open loop, coordinated-omission corrected)");
        w.WriteLine($"connections  : {options.Connections}");
        w.WriteLine(string.Create(ci, $"rate         : {options.Rate:0.###} borrows/s target"));
        w.WriteLine($"duration     : {Options.FormatDuration(options.Duration)} measured after {Options.FormatDuration(options.Warmup)} warm-up; " +
            $"timeout {Options.FormatDuration(options.Timeout)} per request; settle {Options.FormatDuration(options.Settle)}");
        w.WriteLine($"set-up       : {setup.Books} books, {setup.Patrons} researcher patrons (at most {setup.MaxBorrowsPerPatron} borrows each, limit {LoansPerPatron})");
        w.WriteLine($"started      : {s.StartedAt:yyyy-MM-dd HH:mm:ss}Z{(s.Interrupted ? "  (INTERRUPTED - partial results)" : string.Empty)}");
        w.WriteLine();
        w.WriteLine("-- borrow requests (HTTP, until the 202) --");
        Report.WriteRunText(w, options, s);
        foreach (var (problem, n) in state.Problems.OrderByDescending(kv => kv.Value))
        {
            w.WriteLine($"  problem {problem,-24}: {n}");
        }

        w.WriteLine();
        w.WriteLine("-- sagas (measured 202s, polled with GET /borrow-operations/{id}) --");
        double seconds = s.MeasuredSeconds;
        w.WriteLine(string.Create(ci, $"started      : {o.Started} ({(seconds > 0 ? o.Started / seconds : 0):0.0}/s)")
            + (state.AcceptedWithoutId > 0 ? $"; +{state.AcceptedWithoutId} 202s without an operation id" : string.Empty));
        w.WriteLine($"borrowed     : {o.Borrowed}");
        s.Cpu?.Write(w, "saga", o.Borrowed, s.IdleCpu);
        w.WriteLine($"released     : {o.Released}" + (o.FailureReasons.Count == 0
            ? string.Empty
            : "  (" + string.Join(", ", o.FailureReasons.OrderByDescending(kv => kv.Value).Select(kv => $"\"{kv.Key}\": {kv.Value}")) + ")"));
        if (o.Returned > 0)
        {
            w.WriteLine($"returned     : {o.Returned} (borrowed, then returned by someone else; not in the latency)");
        }

        w.WriteLine($"pending      : {o.Pending} still {Reserved} " + (o.PollInterrupted ? "when polling was cut short (interrupted)" : "after the settle deadline (stuck)") +
            (o.Unreadable > 0 ? $"; {o.Unreadable} never read" : string.Empty) +
            (o.OtherStatus > 0 ? $"; {o.OtherStatus} with another status" : string.Empty));
        w.WriteLine(string.Create(ci, $"sagas/s      : {(seconds > 0 ? o.Borrowed / seconds : 0):0.0} borrowed per second of the {seconds:0.###}s measured window (target {options.Rate:0.###})"));
        w.WriteLine($"saga latency : {Report.LatencyLine(o.Latency)}");
        w.WriteLine("  (ms, server timestamps: updatedAt - createdAt of borrowed operations = 202 -> borrowed)");
        w.WriteLine(string.Create(ci, $"polling      : {o.PollRounds} round(s) in {o.PollSeconds:0.0}s")
            + (o.PollInterrupted ? " (INTERRUPTED)" : string.Empty)
            + (o.PollErrors.Count == 0 ? string.Empty : "; last poll failed: " + string.Join(", ", o.PollErrors.Select(kv => $"{kv.Key}: {kv.Value}"))));
        if (o.PendingIds.Count > 0)
        {
            w.WriteLine($"  stuck, e.g.: {string.Join(' ', o.PendingIds.Take(5))}");
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

    private static void WriteJson(
        string file,
        Options options,
        SagaSetup setup,
        RunSummary s,
        SagaRunState state,
        SagaOutcome o,
        IReadOnlyList<string> warnings,
        string commandLine)
    {
        using var stream = File.Create(file);
        using var j = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        j.WriteStartObject();
        j.WriteString("tool", "Library.LoadTool");
        j.WriteString("scenario", options.ScenarioName);
        j.WriteString("commandLine", commandLine);
        j.WriteString("startedAtUtc", s.StartedAt);
        j.WriteBoolean("interrupted", s.Interrupted);
        j.WriteString("baseUrl", options.BasePrefix);
        j.WriteString("mode", "open");
        j.WriteNumber("connections", options.Connections);
        j.WriteNumber("targetRate", options.Rate!.Value);
        j.WriteNumber("durationSeconds", options.Duration.TotalSeconds);
        j.WriteNumber("warmupSeconds", options.Warmup.TotalSeconds);
        j.WriteNumber("timeoutSeconds", options.Timeout.TotalSeconds);
        j.WriteNumber("settleSeconds", options.Settle.TotalSeconds);
        j.WriteStartObject("setup");
        j.WriteNumber("books", setup.Books);
        j.WriteNumber("researcherPatrons", setup.Patrons);
        j.WriteNumber("maxBorrowsPerPatron", setup.MaxBorrowsPerPatron);
        j.WriteEndObject();

        j.WriteStartObject("borrowRequests");
        Report.WriteRunJson(j, s);
        j.WriteStartObject("problems");
        foreach (var (problem, n) in state.Problems.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            j.WriteNumber(problem, n);
        }

        j.WriteEndObject();
        j.WriteEndObject();

        double seconds = s.MeasuredSeconds;
        j.WriteStartObject("sagas");
        j.WriteNumber("started", o.Started);
        j.WriteNumber("acceptedWithoutOperationId", state.AcceptedWithoutId);
        j.WriteNumber("borrowed", o.Borrowed);
        j.WriteNumber("released", o.Released);
        j.WriteNumber("returned", o.Returned);
        j.WriteNumber("pending", o.Pending);
        j.WriteNumber("unreadable", o.Unreadable);
        j.WriteNumber("otherStatus", o.OtherStatus);
        j.WriteNumber("startedPerSecond", seconds > 0 ? Math.Round(o.Started / seconds, 2) : 0);
        j.WriteNumber("borrowedPerSecond", seconds > 0 ? Math.Round(o.Borrowed / seconds, 2) : 0);
        Report.WriteLatencyJson(j, "latencyMs", o.Latency);
        j.WriteString("latencySource", "server: updatedAt - createdAt of borrowed operations");
        j.WriteStartObject("failureReasons");
        foreach (var (reason, n) in o.FailureReasons)
        {
            j.WriteNumber(reason, n);
        }

        j.WriteEndObject();
        j.WriteStartObject("lastPollErrors");
        foreach (var (error, n) in o.PollErrors)
        {
            j.WriteNumber(error, n);
        }

        j.WriteEndObject();
        j.WriteNumber("pollRounds", o.PollRounds);
        j.WriteNumber("pollSeconds", Math.Round(o.PollSeconds, 3));
        j.WriteBoolean("pollInterrupted", o.PollInterrupted);
        j.WriteStartArray("pendingOperationIds");
        foreach (string id in o.PendingIds.Take(100))
        {
            j.WriteStringValue(id);
        }

        j.WriteEndArray();
        j.WriteEndObject();

        j.WriteStartArray("warnings");
        foreach (string warning in warnings)
        {
            j.WriteStringValue(warning);
        }

        j.WriteEndArray();
        j.WriteEndObject();
    }
}
