using System.Diagnostics;
using Library.SharedKernel.Resilience;
using System.Text;
using Library.SharedKernel.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client;

namespace Library.SharedKernel.Messaging;

/// <summary>
/// Publishes outbox rows to RabbitMQ with publisher confirms. It wakes on the commit's NOTIFY (every replica
/// hears it) and polls only as a fallback. Each round takes the oldest unpublished message of each aggregate
/// with <c>FOR UPDATE SKIP LOCKED</c>, so replicas share the work without ever publishing two messages of one
/// aggregate out of order; a failed publish leaves its row for the next round, after an exponential backoff.
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
        (result, e) => e is not null and not OperationCanceledException || (result is string?[] { Length: > 0 } errors && errors.All(error => error is not null)));
    private IChannel? _channel;
    private Statements? _statements;

    private int BatchSize => configuration.GetValue("Outbox:BatchSize", 100);

    private TimeSpan PollInterval => configuration.GetValue("Outbox:PollInterval", TimeSpan.FromSeconds(2));

    private TimeSpan MaxBackoff => configuration.GetValue("Outbox:MaxBackoff", TimeSpan.FromSeconds(30));

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
                if (published >= BatchSize)
                {
                    continue; // more may be waiting
                }

                if (published > 0)
                {
                    continue; // heads of queues were published; their successors are now heads
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
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await listener;
    }

    /// <summary>Publishes one round; returns how many messages were published.</summary>
    internal async Task<int> PublishBatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        var sql = _statements ??= new Statements(QualifiedTable(db));
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var batch = await db.Set<OutboxMessage>()
            .FromSqlRaw(sql.SelectHeads, BatchSize)
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        if (batch.Count == 0)
        {
            return 0;
        }

        var results = await _breaker.ExecuteAsync(
            async ct =>
            {
                var channel = await GetChannelAsync(ct);
                return await Task.WhenAll(batch.Select(message => TryPublishAsync(channel, message, ct)));
            },
            cancellationToken);
        var published = batch.Where((_, i) => results[i] is null).Select(m => m.Id).ToArray();
        var failed = batch.Where((_, i) => results[i] is not null).ToList();
        if (published.Length > 0)
        {
            await db.Database.ExecuteSqlRawAsync(
                sql.MarkPublished,
                [timeProvider.GetUtcNow(), published],
                cancellationToken);
        }

        foreach (var message in failed)
        {
            var error = results[batch.IndexOf(message)]!;
            await db.Database.ExecuteSqlRawAsync(
                sql.RecordFailure,
                [error.Length > 2000 ? error[..2000] : error, message.Id],
                cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (failed.Count > 0)
        {
            throw new InvalidOperationException($"{failed.Count} of {batch.Count} outbox messages were not confirmed by the broker.");
        }

        return published.Length;
    }

    private static async Task<string?> TryPublishAsync(IChannel channel, OutboxMessage message, CancellationToken cancellationToken)
    {
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
            // Completes when the broker confirms; throws on a nack or a closed channel.
            await channel.BasicPublishAsync(RabbitMQTopology.Exchange, message.Type, mandatory: false, properties, Encoding.UTF8.GetBytes(message.Envelope), cancellationToken);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return e.Message;
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
                // One connection held for the service's lifetime; Npgsql resets it (UNLISTEN) when it goes back.
                await using var connection = new NpgsqlConnection(connectionString);
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

    // The table name comes from the EF model; every value is a parameter.
    private sealed class Statements(string table)
    {
        /// <summary>The oldest unpublished message of each aggregate, skipping rows another relay holds.</summary>
        public string SelectHeads { get; } = "SELECT * FROM " + table + " o WHERE o.published_at IS NULL AND NOT EXISTS (SELECT 1 FROM " + table
            + " p WHERE p.aggregate_key = o.aggregate_key AND p.published_at IS NULL AND p.id < o.id) ORDER BY o.id LIMIT {0} FOR UPDATE SKIP LOCKED";

        public string MarkPublished { get; } = "UPDATE " + table + " SET published_at = {0}, attempts = attempts + 1 WHERE id = ANY({1})";

        public string RecordFailure { get; } = "UPDATE " + table + " SET attempts = attempts + 1, last_error = {0} WHERE id = {1}";
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for outbox notifications failed: {Message}; reconnecting")]
    private static partial void LogListenFailed(ILogger logger, string message);
}
