using System.Diagnostics;
using Library.SharedKernel.Resilience;
using System.Text;
using Library.SharedKernel.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client;

namespace Library.SharedKernel.Messaging;

/// <summary>
/// Publishes outbox rows to RabbitMQ with publisher confirms. It wakes on the commit's NOTIFY (every replica
/// hears it; a burst of them wakes it once) and polls only as a fallback. Each round takes the oldest unpublished
/// message of each aggregate with <c>FOR UPDATE SKIP LOCKED</c>, so replicas share the work without ever publishing
/// two messages of one aggregate out of order (decision 0007).
/// <list type="bullet">
/// <item>A round is bounded by <c>Outbox:RoundTimeout</c> (10 s): a publish the broker never confirms fails the
/// round's unconfirmed rows instead of holding their locks, and the channel (whose confirms are then unknown) is
/// replaced.</item>
/// <item>A round in which the broker confirmed nothing and refused nothing (it is unreachable, blocked or slow)
/// changes no row and backs the relay off, exponentially up to <c>Outbox:MaxBackoff</c>.</item>
/// <item>Otherwise a row that failed is retried on its own schedule (<c>next_attempt_at</c>, doubling from 1 s,
/// at most 5 min) while the others go on, and after <c>Outbox:MaxAttempts</c> (10) failed publishes it is
/// <b>parked</b>: logged as an error, counted in <c>/health</c>, no longer tried, and its aggregate's later
/// messages proceed.</item>
/// </list>
/// </summary>
public sealed partial class OutboxRelay<TDbContext>(
    IServiceScopeFactory scopes,
    IServiceProvider services,
    IConfiguration configuration,
    CircuitBreakers breakers,
    TimeProvider timeProvider,
    ILogger<OutboxRelay<TDbContext>> logger) : BackgroundService
    where TDbContext : LibraryDbContext
{
    private static readonly ActivitySource s_activity = new("Library.Messaging");
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);

    // A round in which the broker confirmed nothing is a failure; while the breaker is open no round is tried
    // (the relay backs off), and /health/circuits shows it.
    private readonly CircuitBreaker _breaker = breakers.Get(Breaker.Name);

    public static DeclaredBreaker Breaker { get; } = new(
        "rabbitmq-publish",
        new BreakerDefaults(FailureRatio: 0.5, MinimumThroughput: 3, BreakDuration: TimeSpan.FromSeconds(5)),
        (result, e) => e is not null and not OperationCanceledException
            || (result is (string? Error, bool Refused)[] { Length: > 0 } outcomes && outcomes.All(o => o.Error is not null && !o.Refused)));
    private IChannel? _channel;
    private Statements? _statements;

    private int BatchSize => configuration.GetValue("Outbox:BatchSize", 100);

    private TimeSpan PollInterval => configuration.GetValue("Outbox:PollInterval", TimeSpan.FromSeconds(2));

    private TimeSpan MaxBackoff => configuration.GetValue("Outbox:MaxBackoff", TimeSpan.FromSeconds(30));

    private TimeSpan RoundTimeout => configuration.GetValue("Outbox:RoundTimeout", TimeSpan.FromSeconds(10));

    private int MaxAttempts => Math.Max(1, configuration.GetValue("Outbox:MaxAttempts", 10));

    /// <summary>Rounds run since start (one per wake-up or poll, plus one per round that left work behind).</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    private long _rounds;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string channelName;
        string connectionString;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
            channelName = db.OutboxChannel;
            connectionString = db.Database.GetConnectionString()!;
        }

        var listener = ListenAsync(connectionString, channelName, stoppingToken);
        try
        {
            // Declare the exchanges up front so consumers can bind before the first event is published.
            await GetChannelAsync(stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            LogPublishFailed(logger, e.GetType().Name, e.Message, 0);
        }

        var backoff = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var published = await PublishBatchAsync(stoppingToken);
                backoff = TimeSpan.Zero;
                if (published != 0)
                {
                    continue; // rows failed and were rescheduled, the batch was full, or successors wait: go on at once
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                LogPublishFailed(logger, e.GetType().Name, e.Message, backoff.TotalMilliseconds);
                await DelayAsync(backoff, stoppingToken);
                continue;
            }

            try
            {
                await _wake.WaitAsync(PollInterval, stoppingToken);

                // One round covers every commit notified so far: a burst of NOTIFYs wakes the relay once.
                while (_wake.Wait(0, CancellationToken.None))
                {
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await listener;
    }

    /// <summary>
    /// Publishes one round; returns how many messages were published when another round should follow at once (the
    /// batch was full, or a published message has a successor of its aggregate waiting), 0 when nothing is left
    /// that a new commit's notification would not announce, or -1 when some failed and were rescheduled (or parked)
    /// while the broker took others or refused them. Throws when the broker took nothing (back off).
    /// </summary>
    internal async Task<int> PublishBatchAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _rounds);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        var sql = _statements ??= new Statements(QualifiedTable(db));
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var batch = await ClaimAsync(db, sql, BatchSize, timeProvider.GetUtcNow(), cancellationToken);
        if (batch.Count == 0)
        {
            return 0;
        }

        var results = await _breaker.ExecuteAsync(
            async ct =>
            {
                var channel = await GetChannelAsync(ct);
                using var round = CancellationTokenSource.CreateLinkedTokenSource(ct);
                round.CancelAfter(RoundTimeout);
                var outcomes = await Task.WhenAll(batch.Select(message => TryPublishAsync(channel, message, round.Token)));
                if (round.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    await DropChannelAsync(); // confirms of what is still in flight are unknown now
                }

                return outcomes;
            },
            cancellationToken);
        var published = batch.Where((_, i) => results[i].Error is null).ToArray();
        var failed = batch.Select((m, i) => (Message: m, Outcome: results[i])).Where(f => f.Outcome.Error is not null).ToList();
        if (published.Length == 0 && failed.All(f => !f.Outcome.Refused))
        {
            // Nothing taken and nothing refused: the broker is the problem, not these rows. Undo the claim.
            await transaction.RollbackAsync(cancellationToken);
            throw new InvalidOperationException($"The broker confirmed none of {batch.Count} outbox messages: {failed[0].Outcome.Error}");
        }

        // A published message with a successor of its aggregate waiting means another round at once. One committed
        // after the claim notifies the channel, which wakes the relay again, so a round that finds none ends the
        // burst: no empty round after each productive one.
        var successors = published.Any(m => m.HasSuccessor);
        var now = timeProvider.GetUtcNow();
        foreach (var (message, outcome) in failed)
        {
            var error = outcome.Error!.Length > 2000 ? outcome.Error[..2000] : outcome.Error;
            var attempts = message.Attempts; // the claim counted this attempt
            if (attempts >= MaxAttempts)
            {
                await db.Database.ExecuteSqlRawAsync(sql.Park, [error, now, message.Id], cancellationToken);
                LogParked(logger, message.Type, message.Id, message.AggregateKey, attempts, error);
            }
            else
            {
                var retryIn = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, attempts - 1), 300));
                await db.Database.ExecuteSqlRawAsync(sql.RecordFailure, [error, now + retryIn, message.Id], cancellationToken);
                LogRowFailed(logger, message.Type, message.Id, attempts, MaxAttempts, (long)retryIn.TotalMilliseconds, error);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return failed.Count > 0 ? -1 : successors || batch.Count >= BatchSize ? published.Length : 0;
    }

    /// <summary>How many messages are parked (given up on), for <c>/health</c>.</summary>
    internal async Task<long> CountParkedAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        return await db.Set<OutboxMessage>().LongCountAsync(m => m.ParkedAt != null, cancellationToken);
    }

    /// <summary>
    /// Takes the round's messages in one statement: the oldest unpublished message of each aggregate, skipping rows
    /// another relay holds, marked published (and the attempt counted) in the round's transaction, which commits
    /// only once the broker has confirmed them; a failed publish puts its row back before the commit, and a round
    /// the broker took nothing of rolls back. Each row says whether a later message of its aggregate waits.
    /// </summary>
    private static async Task<List<ClaimedMessage>> ClaimAsync(TDbContext db, Statements sql, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = sql.ClaimHeads;
        command.Parameters.Add(new NpgsqlParameter("limit", limit));
        command.Parameters.Add(new NpgsqlParameter("now", now));
        var claimed = new List<ClaimedMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new ClaimedMessage(
                reader.GetGuid(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetInt32(6),
                reader.GetBoolean(7)));
        }

        claimed.Sort((a, b) => a.Id.CompareTo(b.Id));
        return claimed;
    }

    private async Task<(string? Error, bool Refused)> TryPublishAsync(IChannel channel, ClaimedMessage message, CancellationToken cancellationToken)
    {
        // Documented fault switch, off by default: the broker "refuses" messages of this type (tests of parking).
        if (configuration["Failpoints:RefusePublishOf"] is { Length: > 0 } refused && refused == message.Type)
        {
            return ($"Refused by the failpoint Failpoints:RefusePublishOf={refused}", true);
        }

        var properties = new BasicProperties
        {
            MessageId = message.Id.ToString(),
            Type = message.Type,
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
            Timestamp = new AmqpTimestamp(message.OccurredAt.ToUnixTimeSeconds()),
            Headers = new Dictionary<string, object?> { [RabbitMQTopology.AggregateKeyHeader] = Encoding.UTF8.GetBytes(message.AggregateKey) },
        };
        // The publish joins the trace of the request that wrote the event. The client library's own publish span
        // (when traced) is a child of this one and replaces the header with its own id; without any listener the
        // stored traceparent travels as it is.
        using var activity = ActivityContext.TryParse(message.TraceParent, null, out var cause)
            ? s_activity.StartActivity($"{message.Type} publish", ActivityKind.Producer, cause)
            : null;
        if ((activity?.Id ?? message.TraceParent) is { } traceParent)
        {
            properties.Headers["traceparent"] = Encoding.UTF8.GetBytes(traceParent);
        }

        try
        {
            // Documented fault switch, off by default: a publish of this type never completes, as one whose confirm
            // is lost or whose connection the broker blocked (tests of the round timeout).
            if (configuration["Failpoints:StallPublishOf"] is { Length: > 0 } stalled && stalled == message.Type)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            // Completes when the broker confirms; throws on a nack or a closed channel.
            await channel.BasicPublishAsync(RabbitMQTopology.Exchange, message.Type, mandatory: false, properties, Encoding.UTF8.GetBytes(message.Envelope), cancellationToken);
            return (null, false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ($"Not confirmed within the round's {RoundTimeout.TotalSeconds:0.#} s", false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (e.Message, RefusedByBroker(e));
        }
    }

    /// <summary>The broker answered about this message (a nack, or a channel closed over it), as opposed to not answering at all.</summary>
    private static bool RefusedByBroker(Exception e) => e switch
    {
        RabbitMQ.Client.Exceptions.PublishException => true,
        RabbitMQ.Client.Exceptions.OperationInterruptedException { ShutdownReason: { Initiator: ShutdownInitiator.Peer, ReplyCode: 311 or 312 or 403 or 404 or 406 } } => true,
        _ => false,
    };

    private async Task DropChannelAsync()
    {
        if (_channel is { } channel)
        {
            _channel = null;
            try
            {
                await channel.DisposeAsync();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPublishFailed(logger, e.GetType().Name, e.Message, 0);
            }
        }
    }

    private async Task<IChannel> GetChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }

        if (_channel is not null)
        {
            await _channel.DisposeAsync();
        }

        var connection = await BrokerConnection.GetAsync(services, cancellationToken);
        _channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        await RabbitMQTopology.DeclareExchangesAsync(_channel, cancellationToken);
        return _channel;
    }

    /// <summary>LISTENs on the outbox channel with its own connection, reconnecting if PostgreSQL goes away.</summary>
    private async Task ListenAsync(string connectionString, string channelName, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // One connection held for the service's lifetime, never pooled: a LISTEN is session state, and pooled
                // connections are not reset when they go back (ServiceDefaults' Npgsql settings).
                await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, _) => _wake.Release();
                await using (var listen = new NpgsqlCommand($"LISTEN \"{channelName}\"", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                _wake.Release(); // whatever was committed while we were not listening
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException)
            {
                LogListenFailed(logger, e.Message);
                await DelayAsync(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, timeProvider, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A message the round claimed; <see cref="Attempts"/> counts this attempt.</summary>
    private sealed record ClaimedMessage(Guid Id, string AggregateKey, string Type, string Envelope, DateTimeOffset OccurredAt, string? TraceParent, int Attempts, bool HasSuccessor);

    // The table name comes from the EF model; every value is a parameter.
    private sealed class Statements(string table)
    {
        /// <summary>
        /// The oldest unpublished message of each aggregate (a parked message no longer holds its aggregate back; one
        /// waiting for its next attempt does), skipping rows another relay holds, marked published; with each, whether
        /// a later message of its aggregate waits (the statement's snapshot does not see its own marks).
        /// </summary>
        public string ClaimHeads { get; } = "WITH heads AS (SELECT o.id FROM " + table + " o WHERE o.published_at IS NULL AND o.parked_at IS NULL"
            + " AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= @now) AND NOT EXISTS (SELECT 1 FROM " + table
            + " p WHERE p.aggregate_key = o.aggregate_key AND p.published_at IS NULL AND p.parked_at IS NULL AND p.id < o.id) ORDER BY o.id LIMIT @limit FOR UPDATE SKIP LOCKED),"
            + " claimed AS (UPDATE " + table + " m SET published_at = @now, attempts = m.attempts + 1 FROM heads h WHERE m.id = h.id"
            + " RETURNING m.id, m.aggregate_key, m.type, m.envelope::text, m.occurred_at, m.trace_parent, m.attempts)"
            + " SELECT c.*, EXISTS (SELECT 1 FROM " + table + " p WHERE p.aggregate_key = c.aggregate_key AND p.published_at IS NULL"
            + " AND p.parked_at IS NULL AND p.id > c.id) FROM claimed c";

        public string RecordFailure { get; } = "UPDATE " + table + " SET published_at = NULL, last_error = {0}, next_attempt_at = {1} WHERE id = {2}";

        public string Park { get; } = "UPDATE " + table + " SET published_at = NULL, last_error = {0}, parked_at = {1} WHERE id = {2}";
    }

    private static string QualifiedTable(DbContext db)
    {
        var entity = db.Model.FindEntityType(typeof(OutboxMessage))!;
        return $"\"{entity.GetSchema()}\".\"{entity.GetTableName()}\"";
    }

    public override void Dispose()
    {
        _channel?.Dispose();
        _wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox publishing failed ({Error}: {Message}); retrying in {DelayMs} ms")]
    private static partial void LogPublishFailed(ILogger logger, string error, string message, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing outbox message {Type} {MessageId} failed (attempt {Attempts} of {MaxAttempts}); it is tried again in {DelayMs} ms, the others go on: {Error}")]
    private static partial void LogRowFailed(ILogger logger, string type, Guid messageId, int attempts, int maxAttempts, long delayMs, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Parked outbox message {Type} {MessageId} of aggregate {AggregateKey} after {Attempts} failed publishes; it is no longer tried and the aggregate's later messages proceed. Last error: {Error}. To try it again: UPDATE <schema>.outbox_messages SET parked_at = NULL, next_attempt_at = NULL WHERE id = '{MessageId}'")]
    private static partial void LogParked(ILogger logger, string type, Guid messageId, string aggregateKey, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for outbox notifications failed: {Message}; reconnecting")]
    private static partial void LogListenFailed(ILogger logger, string message);
}
