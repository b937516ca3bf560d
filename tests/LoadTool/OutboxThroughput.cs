using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using HdrHistogram;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Library.LoadTool;

/// <summary>
/// The outbox-throughput scenario: a private queue is bound to <c>library.events</c> for
/// <c>patron.patron-registered.v1</c>, then --count patrons are registered as fast as --connections allow (closed
/// loop). Every 201 should come back as one event through Patron's transactional outbox and relay; events are
/// matched to the run's patrons by <c>data.patronId</c>, so events from other clients are not counted.
/// </summary>
internal static class OutboxThroughput
{
    public const string Exchange = "library.events";
    public const string RoutingKey = "patron.patron-registered.v1";

    private static readonly TimeSpan CompletionCheckInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(2);

    /// <summary>One POST /patrons: when it was sent and answered, and the patron id of a 201.</summary>
    private struct Write
    {
        public long Sent;
        public long Answered;
        public string? PatronId;
    }

    /// <summary>Everything the consumer saw, in arrival order (the consumer dispatches one message at a time).</summary>
    private sealed class EventLog
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, long> _firstArrival = new(StringComparer.Ordinal);
        private long _received;

        public int Duplicates { get; private set; }

        public int Unparsable { get; private set; }

        public long Received => Interlocked.Read(ref _received);

        public void Add(string? patronId, long timestamp)
        {
            Interlocked.Increment(ref _received);
            lock (_lock)
            {
                if (patronId is null)
                {
                    Unparsable++;
                }
                else if (!_firstArrival.TryAdd(patronId, timestamp))
                {
                    Duplicates++;
                }
            }
        }

        public bool TryGet(string patronId, out long timestamp)
        {
            lock (_lock)
            {
                return _firstArrival.TryGetValue(patronId, out timestamp);
            }
        }

        public string[] PatronIds()
        {
            lock (_lock)
            {
                return [.. _firstArrival.Keys];
            }
        }
    }

    private sealed class WriterStats(long highestMicros)
    {
        public LongHistogram Latency { get; } = ThreadStats.NewHistogram(highestMicros);

        public SortedDictionary<int, long> StatusCounts { get; } = [];

        public Dictionary<string, long> ErrorKinds { get; } = new(StringComparer.Ordinal);

        public long MissingId { get; set; }
    }

    private sealed record Result(
        string Queue,
        int Count,
        int Posted,
        int Created,
        long FirstSent,
        long LastAnswered,
        long Last201,
        long LastEvent,
        int Matched,
        int Duplicates,
        int Unmatched,
        int Unparsable,
        long Received,
        LongHistogram PostLatency,
        LongHistogram DelayAfter201,
        LongHistogram DelayAfterPost,
        int EarlyEvents,
        SortedDictionary<int, long> StatusCounts,
        Dictionary<string, long> ErrorKinds,
        long MissingId,
        List<string> MissingPatronIds,
        double SettleSeconds,
        bool Interrupted,
        DateTimeOffset StartedAt);

    public static async Task<int> RunAsync(Options options, string[] args, TextWriter log, CancellationTokenSource abort)
    {
        var cancel = abort.Token;
        var warnings = new List<string>();
        var events = new EventLog();
        var brokerWarnings = new ConcurrentQueue<string>();
        string amqpShown = Options.MaskUri(options.Amqp!.OriginalString);
        IConnection? connection = null;
        IChannel? channel = null;
        string queue;
        try
        {
            var factory = new ConnectionFactory
            {
                Uri = options.Amqp,
                ClientProvidedName = "Library.LoadTool outbox-throughput",
                RequestedConnectionTimeout = options.Timeout,
                AutomaticRecoveryEnabled = false, // a lost connection must show up as missing events, not be papered over
            };
            log.WriteLine($"setup: connecting to {amqpShown} ...");
            connection = await factory.CreateConnectionAsync(cancel);
            channel = await connection.CreateChannelAsync(cancellationToken: cancel);
            await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancel);
            queue = (await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true, cancellationToken: cancel)).QueueName;
            await channel.QueueBindAsync(queue, Exchange, RoutingKey, cancellationToken: cancel);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, delivery) =>
            {
                long now = Stopwatch.GetTimestamp();
                events.Add(JsonProbe.PatronIdOf(delivery.Body.Span), now);
                return Task.CompletedTask;
            };
            await channel.BasicConsumeAsync(queue, autoAck: true, consumer, cancel);
            log.WriteLine($"setup: queue {queue} bound to {Exchange} with {RoutingKey}");
        }
        catch (Exception ex)
        {
            if (!cancel.IsCancellationRequested)
            {
                log.WriteLine($"error: cannot consume from {amqpShown}: {Describe(ex)}");
            }

            await CloseAsync(channel, connection);
            return 1;
        }

        connection.ConnectionShutdownAsync += (_, e) =>
        {
            if (e.Initiator != ShutdownInitiator.Application)
            {
                brokerWarnings.Enqueue(
                    $"the AMQP connection was closed during the run ({e.Initiator}: {e.ReplyCode} {e.ReplyText}); events after that are missing");
            }

            return Task.CompletedTask;
        };

        Result result;
        try
        {
            result = await RunLoadAsync(options, queue, events, log, cancel);
        }
        finally
        {
            await CloseAsync(channel, connection);
        }

        warnings.AddRange(brokerWarnings);

        if (result.Created < result.Posted)
        {
            warnings.Add($"{result.Posted - result.Created} of {result.Posted} POST /patrons did not return 201 (see status codes and errors)");
        }

        if (result.Posted < result.Count)
        {
            warnings.Add($"{result.Count - result.Posted} of {result.Count} POST /patrons were never answered (interrupted)");
        }

        if (result.Matched < result.Created)
        {
            warnings.Add($"{result.Created - result.Matched} event(s) missing {Options.FormatDuration(options.Settle)} after the last POST");
        }

        string commandLine = Report.CommandLine(args);
        WriteText(Console.Out, options, amqpShown, result, warnings, commandLine);
        if (options.JsonOut is not null)
        {
            WriteJson(options.JsonOut, options, amqpShown, result, warnings, commandLine);
            log.WriteLine($"summary written to {options.JsonOut}");
        }

        return 0;
    }

    /// <summary>Best effort: the queue is exclusive and auto-delete, so the broker drops it with the connection anyway.</summary>
    private static async Task CloseAsync(IChannel? channel, IConnection? connection)
    {
        try
        {
            if (channel is not null)
            {
                await channel.CloseAsync(CancellationToken.None);
            }

            if (connection is not null)
            {
                await connection.CloseAsync(CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
        }

        if (channel is not null)
        {
            await channel.DisposeAsync();
        }

        if (connection is not null)
        {
            await connection.DisposeAsync();
        }
    }

    /// <summary>Type and message of an exception and of its innermost cause, with any URI password masked.</summary>
    private static string Describe(Exception ex)
    {
        var inner = ex;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        string text = $"{ex.GetType().Name}: {ex.Message}";
        if (!ReferenceEquals(inner, ex))
        {
            text += $" ({inner.GetType().Name}: {inner.Message})";
        }

        return Options.MaskUri(text);
    }

    private static async Task<Result> RunLoadAsync(Options options, string queue, EventLog events, TextWriter log, CancellationToken cancel)
    {
        int count = options.Count;
        var writes = new Write[count];
        long highestMicros = (long)(options.Timeout + options.Settle).TotalMicroseconds + 60_000_000;
        var uri = new Uri(options.BasePrefix + "/patrons", UriKind.Absolute);
        int next = -1;
        int posted = 0;
        int created = 0;
        var startedAt = DateTimeOffset.UtcNow;
        log.WriteLine($"running: outbox throughput, {count} x POST /patrons over {options.Connections} connections (closed loop)");

        async Task<WriterStats> Writer()
        {
            var stats = new WriterStats(highestMicros);
            using var client = VirtualConnection.CreateClient(options);
            while (!cancel.IsCancellationRequested)
            {
                int i = Interlocked.Increment(ref next);
                if (i >= count)
                {
                    break;
                }

                string body = $$"""{"firstName":"Outbox","lastName":"Load {{i + 1}}","email":"load-outbox-{{Guid.NewGuid():N}}@example.com","membershipTier":"regular"}""";
                using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                timeout.CancelAfter(options.Timeout);
                long sent = Stopwatch.GetTimestamp();
                writes[i].Sent = sent;
                try
                {
                    using var response = await client.SendAsync(request, timeout.Token);
                    byte[] payload = await response.Content.ReadAsByteArrayAsync(timeout.Token);
                    long answered = Stopwatch.GetTimestamp();
                    int status = (int)response.StatusCode;
                    writes[i].Answered = answered;
                    stats.StatusCounts[status] = stats.StatusCounts.GetValueOrDefault(status) + 1;
                    stats.Latency.RecordValue(Math.Min(stats.Latency.HighestTrackableValue, Stopwatch.GetElapsedTime(sent, answered).Ticks / TimeSpan.TicksPerMicrosecond));
                    if (status == 201)
                    {
                        string? id = JsonProbe.TopLevelString(payload, "id");
                        if (id is null)
                        {
                            stats.MissingId++;
                        }
                        else
                        {
                            writes[i].PatronId = id;
                            Interlocked.Increment(ref created);
                        }
                    }
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                    break;
                }
                catch (OperationCanceledException)
                {
                    writes[i].Answered = Stopwatch.GetTimestamp();
                    stats.ErrorKinds[StatsCollector.TimeoutKind] = stats.ErrorKinds.GetValueOrDefault(StatsCollector.TimeoutKind) + 1;
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException)
                {
                    writes[i].Answered = Stopwatch.GetTimestamp();
                    string kind = StatsCollector.DescribeException(ex);
                    stats.ErrorKinds[kind] = stats.ErrorKinds.GetValueOrDefault(kind) + 1;
                }

                Interlocked.Increment(ref posted);
            }

            return stats;
        }

        using var progressStop = new CancellationTokenSource();
        var progress = ProgressAsync(
            () => $"posted {Volatile.Read(ref posted),7}/{count}, 201 {Volatile.Read(ref created),7}, events {events.Received,7}",
            Stopwatch.GetTimestamp(),
            log,
            progressStop.Token);
        var writers = new Task<WriterStats>[Math.Min(options.Connections, count)];
        for (int w = 0; w < writers.Length; w++)
        {
            writers[w] = Writer();
        }

        var writerStats = await Task.WhenAll(writers);
        long writesDone = Stopwatch.GetTimestamp();

        // Wait for the events of every 201: poll the ones still outstanding until all arrived or --settle has passed.
        var outstanding = new List<string>();
        foreach (var write in writes)
        {
            if (write.PatronId is { } id)
            {
                outstanding.Add(id);
            }
        }

        // After Ctrl+C only a short grace, for the events of the last writes (Ctrl+C while waiting ends the wait).
        while (true)
        {
            outstanding.RemoveAll(id => events.TryGet(id, out _));
            var limit = cancel.IsCancellationRequested && InterruptGrace < options.Settle ? InterruptGrace : options.Settle;
            if (outstanding.Count == 0 || Stopwatch.GetElapsedTime(writesDone) >= limit)
            {
                break;
            }

            await Task.Delay(CompletionCheckInterval, CancellationToken.None);
        }

        double settleSeconds = Stopwatch.GetElapsedTime(writesDone).TotalSeconds;
        await progressStop.CancelAsync();
        await progress;

        // Merge and match. Timestamps of the first POST and of the responses come from the writes themselves.
        var postLatency = ThreadStats.NewHistogram(highestMicros);
        var statusCounts = new SortedDictionary<int, long>();
        var errorKinds = new Dictionary<string, long>(StringComparer.Ordinal);
        long missingId = 0;
        foreach (var s in writerStats)
        {
            postLatency.Add(s.Latency);
            missingId += s.MissingId;
            foreach (var (code, n) in s.StatusCounts)
            {
                statusCounts[code] = statusCounts.GetValueOrDefault(code) + n;
            }

            foreach (var (kind, n) in s.ErrorKinds)
            {
                errorKinds[kind] = errorKinds.GetValueOrDefault(kind) + n;
            }
        }

        var delayAfter201 = ThreadStats.NewHistogram(highestMicros);
        var delayAfterPost = ThreadStats.NewHistogram(highestMicros);
        long firstSent = long.MaxValue;
        long lastAnswered = 0;
        long last201 = 0;
        long lastEvent = 0;
        int matched = 0;
        int early = 0;
        int createdTotal = 0;
        var mine = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var write in writes)
        {
            if (write.Sent != 0)
            {
                firstSent = Math.Min(firstSent, write.Sent);
            }

            lastAnswered = Math.Max(lastAnswered, write.Answered);
            if (write.PatronId is not { } id)
            {
                continue;
            }

            createdTotal++;
            mine.Add(id);
            last201 = Math.Max(last201, write.Answered);
            if (!events.TryGet(id, out long arrived))
            {
                missing.Add(id);
                continue;
            }

            matched++;
            lastEvent = Math.Max(lastEvent, arrived);
            long afterPost = Stopwatch.GetElapsedTime(write.Sent, arrived).Ticks / TimeSpan.TicksPerMicrosecond;
            long after201 = Stopwatch.GetElapsedTime(write.Answered, arrived).Ticks / TimeSpan.TicksPerMicrosecond;
            if (after201 < 0)
            {
                early++; // the relay published before the client had read the 201
            }

            delayAfterPost.RecordValue(Math.Clamp(afterPost, 0, delayAfterPost.HighestTrackableValue));
            delayAfter201.RecordValue(Math.Clamp(after201, 0, delayAfter201.HighestTrackableValue));
        }

        int unmatched = 0;
        foreach (string id in events.PatronIds())
        {
            if (!mine.Contains(id))
            {
                unmatched++;
            }
        }

        return new Result(
            queue, count, Volatile.Read(ref posted), createdTotal, firstSent, lastAnswered, last201, lastEvent, matched, events.Duplicates,
            unmatched, events.Unparsable, events.Received, postLatency, delayAfter201, delayAfterPost, early, statusCounts, errorKinds,
            missingId, missing, settleSeconds, cancel.IsCancellationRequested, startedAt);
    }

    private static async Task ProgressAsync(Func<string> line, long t0, TextWriter log, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                log.WriteLine($"[{Stopwatch.GetElapsedTime(t0).TotalSeconds,6:0.0}s] {line()}");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static double Seconds(long from, long to) => to > from ? Stopwatch.GetElapsedTime(from, to).TotalSeconds : 0;

    private static double PerSecond(int n, double seconds) => seconds > 0 ? n / seconds : 0;

    /// <summary>Signed milliseconds from <paramref name="from"/> to <paramref name="to"/>.</summary>
    private static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    private static void WriteText(TextWriter w, Options options, string amqp, Result r, IReadOnlyList<string> warnings, string commandLine)
    {
        var ci = CultureInfo.InvariantCulture;
        double writeSeconds = Seconds(r.FirstSent, r.Last201);
        double eventSeconds = Seconds(r.FirstSent, r.LastEvent);
        w.WriteLine();
        w.WriteLine("=== Library load test: outbox throughput ===");
        w.WriteLine($"command      : {commandLine}");
        w.WriteLine($"base url     : {options.BasePrefix}");
        w.WriteLine($"amqp         : {amqp}, queue {r.Queue} bound to {Exchange} with {RoutingKey}");
        w.WriteLine("scenario     : outbox-throughput (POST /patrons, closed loop; each 201 should arrive once as an event)");
        w.WriteLine($"connections  : {options.Connections}");
        w.WriteLine($"count        : {r.Count} patrons; timeout {Options.FormatDuration(options.Timeout)} per request; settle {Options.FormatDuration(options.Settle)}");
        w.WriteLine($"started      : {r.StartedAt:yyyy-MM-dd HH:mm:ss}Z{(r.Interrupted ? "  (INTERRUPTED - partial results)" : string.Empty)}");
        w.WriteLine();
        w.WriteLine(string.Create(ci, $"writes       : {r.Created} x 201 of {r.Posted} POSTs answered ({r.Count} planned), {PerSecond(r.Created, writeSeconds):0.0} 201/s over {writeSeconds:0.###}s (first POST to last 201)"));
        w.WriteLine($"latency (ms) : {Report.LatencyLine(r.PostLatency)}");
        w.WriteLine($"status codes : {(r.StatusCounts.Count == 0 ? "none" : string.Join(", ", r.StatusCounts.Select(kv => $"{kv.Key}: {kv.Value}")))}");
        long failed = r.Posted - r.Created;
        w.WriteLine($"errors       : {failed}");
        foreach (var (code, n) in r.StatusCounts)
        {
            if (code != 201)
            {
                w.WriteLine($"  HTTP {code,-27}: {n}");
            }
        }

        foreach (var (kind, n) in r.ErrorKinds.OrderByDescending(kv => kv.Value))
        {
            w.WriteLine($"  {kind,-32}: {n}");
        }

        if (r.MissingId > 0)
        {
            w.WriteLine($"  {"201 without an id",-32}: {r.MissingId}");
        }

        w.WriteLine();
        w.WriteLine($"events       : {r.Matched} of {r.Created} received, {r.Created - r.Matched} missing, {r.Duplicates} duplicate(s)"
            + $"; {r.Unmatched} for other patrons, {r.Unparsable} unreadable (not counted)");
        w.WriteLine(string.Create(ci, $"event rate   : {PerSecond(r.Matched, eventSeconds):0.0} events/s over {eventSeconds:0.###}s (first POST to last event)"));
        w.WriteLine(r.Matched == 0
            ? "lag          : -"
            : string.Create(ci, $"lag          : {Ms(r.Last201, r.LastEvent):0.0} ms from the last 201 to the last event"));
        w.WriteLine($"event delay  : {Report.LatencyLine(r.DelayAfter201)}");
        w.WriteLine($"  (ms from each patron's 201 to its event; {r.EarlyEvents} event(s) arrived before their 201 and count as 0)");
        w.WriteLine($"  after POST : {Report.LatencyLine(r.DelayAfterPost)}");
        w.WriteLine(string.Create(ci, $"settle       : {r.SettleSeconds:0.###}s waited for events after the last response"));
        if (r.MissingPatronIds.Count > 0)
        {
            w.WriteLine($"  missing, e.g.: {string.Join(' ', r.MissingPatronIds.Take(5))}");
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

    private static void WriteJson(string file, Options options, string amqp, Result r, IReadOnlyList<string> warnings, string commandLine)
    {
        double writeSeconds = Seconds(r.FirstSent, r.Last201);
        double eventSeconds = Seconds(r.FirstSent, r.LastEvent);
        using var stream = File.Create(file);
        using var j = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        j.WriteStartObject();
        j.WriteString("tool", "Library.LoadTool");
        j.WriteString("scenario", options.ScenarioName);
        j.WriteString("commandLine", commandLine);
        j.WriteString("startedAtUtc", r.StartedAt);
        j.WriteBoolean("interrupted", r.Interrupted);
        j.WriteString("baseUrl", options.BasePrefix);
        j.WriteString("amqp", amqp);
        j.WriteString("exchange", Exchange);
        j.WriteString("routingKey", RoutingKey);
        j.WriteString("mode", "closed");
        j.WriteNumber("connections", options.Connections);
        j.WriteNumber("count", r.Count);
        j.WriteNumber("timeoutSeconds", options.Timeout.TotalSeconds);
        j.WriteNumber("settleSeconds", options.Settle.TotalSeconds);

        j.WriteStartObject("writes");
        j.WriteNumber("answered", r.Posted);
        j.WriteNumber("created", r.Created);
        j.WriteNumber("failed", r.Posted - r.Created);
        j.WriteNumber("seconds", Math.Round(writeSeconds, 3));
        j.WriteNumber("createdPerSecond", Math.Round(PerSecond(r.Created, writeSeconds), 2));
        Report.WriteLatencyJson(j, "latencyMs", r.PostLatency);
        j.WriteStartObject("statusCodes");
        foreach (var (code, n) in r.StatusCounts)
        {
            j.WriteNumber(code.ToString(CultureInfo.InvariantCulture), n);
        }

        j.WriteEndObject();
        j.WriteStartObject("byException");
        foreach (var (kind, n) in r.ErrorKinds)
        {
            j.WriteNumber(kind, n);
        }

        j.WriteEndObject();
        j.WriteNumber("createdWithoutId", r.MissingId);
        j.WriteEndObject();

        j.WriteStartObject("events");
        j.WriteNumber("expected", r.Created);
        j.WriteNumber("received", r.Matched);
        j.WriteNumber("missing", r.Created - r.Matched);
        j.WriteNumber("duplicates", r.Duplicates);
        j.WriteNumber("otherPatrons", r.Unmatched);
        j.WriteNumber("unreadable", r.Unparsable);
        j.WriteNumber("deliveries", r.Received);
        j.WriteNumber("seconds", Math.Round(eventSeconds, 3));
        j.WriteNumber("eventsPerSecond", Math.Round(PerSecond(r.Matched, eventSeconds), 2));
        if (r.Matched > 0)
        {
            j.WriteNumber("lagMs", Math.Round(Ms(r.Last201, r.LastEvent), 3));
        }
        else
        {
            j.WriteNull("lagMs");
        }

        Report.WriteLatencyJson(j, "delayAfter201Ms", r.DelayAfter201);
        j.WriteNumber("arrivedBefore201", r.EarlyEvents);
        Report.WriteLatencyJson(j, "delayAfterPostMs", r.DelayAfterPost);
        j.WriteNumber("settleSeconds", Math.Round(r.SettleSeconds, 3));
        j.WriteStartArray("missingPatronIds");
        foreach (string id in r.MissingPatronIds.Take(100))
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
