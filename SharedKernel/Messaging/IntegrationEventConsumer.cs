using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Library.SharedKernel.Contracts;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Library.SharedKernel.Messaging;

/// <summary>Handles one integration event type inside the consumer's transaction.</summary>
public interface IIntegrationEventHandler<in TEvent>
    where TEvent : IIntegrationEvent
{
    Task HandleAsync(TEvent integrationEvent, IntegrationEventEnvelope envelope, CancellationToken cancellationToken);
}

/// <summary>Which events a service consumes, and how to hand each to its handler.</summary>
public sealed class IntegrationEventSubscriptions
{
    private readonly Dictionary<string, (Type EventType, Func<IServiceProvider, object, IntegrationEventEnvelope, CancellationToken, Task> Dispatch)> _byType = new(StringComparer.Ordinal);

    public IEnumerable<string> Types => _byType.Keys;

    internal void Add<TEvent, THandler>()
        where TEvent : IIntegrationEvent
        where THandler : IIntegrationEventHandler<TEvent>
        => _byType[IntegrationEventTypes.Registry.NameOf<TEvent>()] = (typeof(TEvent), (sp, e, envelope, ct) => sp.GetRequiredService<THandler>().HandleAsync((TEvent)e, envelope, ct));

    internal bool TryGet(string type, out Type eventType, out Func<IServiceProvider, object, IntegrationEventEnvelope, CancellationToken, Task> dispatch)
    {
        var found = _byType.TryGetValue(type, out var entry);
        eventType = entry.EventType;
        dispatch = entry.Dispatch;
        return found;
    }
}

/// <summary>
/// One durable quorum queue per consumer, bound to the event types it handles. A message is acked only after
/// its handler's transaction (with the inbox row) committed; a redelivered message finds its inbox row and is
/// acked without a second effect.
/// <para>Messages are handled in lanes: each aggregate always lands in the same lane, and a lane handles one message
/// at a time, so an aggregate's messages are applied in publication order. A failed message is retried <b>in its
/// lane</b>, with backoff, before anything behind it: a transient failure (deadlock, conflict, pool timeout, the
/// database briefly gone) for up to <c>Messaging:TransientRetryFor</c> (10 min), any other failure up to
/// <c>Messaging:HandlerAttempts</c> (5) times, a message that cannot be read at once. Then it is moved to the
/// dead-letter queue (logged as an error, counted in <c>/health</c>, replayable with
/// <c>POST /admin/{consumer}/dead-letters/replay</c>) and the aggregate's later messages proceed. The broker's own
/// <c>x-delivery-limit</c> remains as the backstop for a message that crashes the process each time.</para>
/// </summary>
public sealed partial class IntegrationEventConsumer<TDbContext>(
    string consumer,
    IServiceScopeFactory scopes,
    IServiceProvider services,
    IntegrationEventSubscriptions subscriptions,
    IConfiguration configuration,
    DeadLetters deadLetters,
    TimeProvider timeProvider,
    ILogger<IntegrationEventConsumer<TDbContext>> logger) : BackgroundService
    where TDbContext : LibraryDbContext
{
    private static readonly ActivitySource s_activity = new("Library.Messaging");
    private IChannel? _channel;
    private string? _inboxInsert;
    private Channel<(IChannel Channel, BasicDeliverEventArgs Delivery)>[] _lanes = [];
    private Task[] _workers = [];
    private readonly CancellationTokenSource _stopping = new();
    private int _stopCalled;

    public string Queue => consumer;

    public string DeadLetterQueue => deadLetters.DeadLetterQueue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await StartConsumingAsync(stoppingToken);
                return; // the client library's automatic recovery keeps the consumer alive from here
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogStartFailed(logger, consumer, e.Message);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 10_000));
            }
        }
    }

    private async Task StartConsumingAsync(CancellationToken cancellationToken)
    {
        var connection = await BrokerConnection.GetAsync(services, cancellationToken);
        _channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await _channel.BasicQosAsync(0, configuration.GetValue<ushort>("Messaging:Prefetch", 32), global: false, cancellationToken);
        await RabbitMQTopology.DeclareExchangesAsync(_channel, cancellationToken);
        await _channel.QueueDeclareAsync(DeadLetterQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: cancellationToken);
        await _channel.QueueBindAsync(DeadLetterQueue, RabbitMQTopology.DeadLetterExchange, DeadLetterQueue, cancellationToken: cancellationToken);
        await _channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?>
            {
                ["x-queue-type"] = "quorum",
                ["x-delivery-limit"] = configuration.GetValue("Messaging:MaxDeliveries", 5),
                ["x-dead-letter-exchange"] = RabbitMQTopology.DeadLetterExchange,
                ["x-dead-letter-routing-key"] = DeadLetterQueue,
            },
            cancellationToken: cancellationToken);
        foreach (var type in subscriptions.Types)
        {
            await _channel.QueueBindAsync(Queue, RabbitMQTopology.Exchange, type, cancellationToken: cancellationToken);
        }

        // Messages are handled by several lanes at once; each aggregate always lands in the same lane, so its
        // messages stay in publication order while different aggregates proceed in parallel.
        var lanes = Math.Max(1, configuration.GetValue("Messaging:ConsumerLanes", 8));
        _lanes = [.. Enumerable.Range(0, lanes).Select(_ => Channel.CreateUnbounded<(IChannel, BasicDeliverEventArgs)>(new UnboundedChannelOptions { SingleReader = true }))];
        _workers = [.. _lanes.Select(lane => Task.Run(() => RunLaneAsync(lane.Reader)))];
        var basicConsumer = new AsyncEventingBasicConsumer(_channel);
        basicConsumer.ReceivedAsync += DispatchAsync;
        await _channel.BasicConsumeAsync(Queue, autoAck: false, basicConsumer, cancellationToken);
        var types = string.Join(", ", subscriptions.Types);
        LogConsuming(logger, Queue, types);
    }

    private Task DispatchAsync(object sender, BasicDeliverEventArgs delivery)
    {
        var key = delivery.BasicProperties.Headers?.TryGetValue(RabbitMQTopology.AggregateKeyHeader, out var raw) == true && raw is byte[] bytes
            ? Encoding.UTF8.GetString(bytes)
            : delivery.BasicProperties.MessageId ?? string.Empty;
        var lane = (int)((uint)StableHash(key) % (uint)_lanes.Length);

        // The body's memory belongs to the client library only during this callback.
        var copy = new BasicDeliverEventArgs(delivery.ConsumerTag, delivery.DeliveryTag, delivery.Redelivered, delivery.Exchange, delivery.RoutingKey, delivery.BasicProperties, delivery.Body.ToArray());
        return _lanes[lane].Writer.WriteAsync((((AsyncEventingBasicConsumer)sender).Channel, copy)).AsTask();
    }

    private async Task RunLaneAsync(ChannelReader<(IChannel Channel, BasicDeliverEventArgs Delivery)> lane)
    {
        await foreach (var (channel, delivery) in lane.ReadAllAsync())
        {
            try
            {
                await OnReceivedAsync(channel, delivery);
            }
            catch (Exception e)
            {
                // An ack or nack that cannot be sent (the channel closed meanwhile): the broker redelivers the message.
                LogSettleFailed(logger, delivery.BasicProperties.MessageId ?? "?", e.Message);
            }
        }
    }

    private static int StableHash(string value)
    {
        var hash = 17;
        foreach (var c in value)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash;
    }

    private async Task OnReceivedAsync(IChannel channel, BasicDeliverEventArgs delivery)
    {
        var stopping = _stopping.Token;
        var maxAttempts = Math.Max(1, configuration.GetValue("Messaging:HandlerAttempts", 5));
        var transientFor = configuration.GetValue("Messaging:TransientRetryFor", TimeSpan.FromMinutes(10));
        var baseDelay = configuration.GetValue("Messaging:RetryBaseDelay", TimeSpan.FromMilliseconds(100));
        var started = timeProvider.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            Exception failure;
            try
            {
                await HandleAsync(delivery, stopping);
                break;
            }
            catch (Exception e) when (stopping.IsCancellationRequested)
            {
                // Shutting down: leave it unacked; the broker hands it out again (to us after a restart, or another replica).
                LogStoppedWhileHandling(logger, e, delivery.BasicProperties.Type ?? "?", delivery.BasicProperties.MessageId ?? "?");
                return;
            }
            catch (Exception e)
            {
                failure = e;
            }

            var unreadable = failure is JsonException;
            var transient = !unreadable && TransientFailures.IsTransient(failure);
            var giveUp = unreadable
                || (transient ? timeProvider.GetElapsedTime(started) >= transientFor : attempt >= maxAttempts);
            if (giveUp)
            {
                LogHandlerGaveUp(logger, failure, delivery.BasicProperties.Type ?? "?", delivery.BasicProperties.MessageId ?? "?", attempt);
                await deadLetters.SendAsync(delivery, failure, attempt, CancellationToken.None);
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
                return;
            }

            var delay = Backoff(baseDelay, attempt);
            if (logger.IsEnabled(LogLevel.Warning))
            {
                LogHandlerRetrying(logger, delivery.BasicProperties.Type ?? "?", delivery.BasicProperties.MessageId ?? "?", attempt, transient ? "transient" : "not transient", (long)delay.TotalMilliseconds, failure.GetType().Name, failure.Message);
            }

            try
            {
                await Task.Delay(delay, timeProvider, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        // Documented fault switch, off by default: "true" or an event type crashes the process after the handler's
        // transaction committed and before the ack, to prove a redelivered message is applied once.
        var failpoint = configuration["Failpoints:CrashAfterHandleBeforeAck"];
        if (failpoint is { Length: > 0 } && (failpoint == "true" || failpoint == delivery.RoutingKey))
        {
            Environment.FailFast($"Failpoint CrashAfterHandleBeforeAck on {delivery.RoutingKey}");
        }

        await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
    }

    /// <summary>Exponential from the base, capped at 10 s, with ±20 % jitter so that lanes retrying together spread out.</summary>
    private static TimeSpan Backoff(TimeSpan baseDelay, int attempt)
    {
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 16));
        var capped = Math.Min(exponential, 10_000);
        return TimeSpan.FromMilliseconds(capped * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    /// <summary>Handles the message in one transaction with its inbox row; returns when it is done (now or before, or not ours), throws to retry.</summary>
    internal async Task HandleAsync(BasicDeliverEventArgs delivery, CancellationToken cancellationToken)
    {
        var envelope = JsonSerializer.Deserialize<IntegrationEventEnvelope>(delivery.Body.Span, OutboxMessage.JsonOptions);
        if (envelope is null || !subscriptions.TryGet(envelope.Type, out var eventType, out var dispatch))
        {
            LogUnknownMessage(logger, delivery.BasicProperties.Type ?? "?");
            return;
        }

        var integrationEvent = envelope.Data.Deserialize(eventType, OutboxMessage.JsonOptions)
            ?? throw new JsonException($"Message {envelope.Id} of type {envelope.Type} has no data.");
        var parent = delivery.BasicProperties.Headers?.TryGetValue("traceparent", out var raw) == true && raw is byte[] bytes ? Encoding.UTF8.GetString(bytes) : null;
        using var activity = s_activity.StartActivity($"{envelope.Type} process", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.message.id", envelope.Id.ToString());

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        _inboxInsert ??= "INSERT INTO \"" + db.Schema + "\".inbox_messages (consumer, message_id, type, handled_at) VALUES ({0}, {1}, {2}, {3}) ON CONFLICT DO NOTHING";
        var first = await db.Database.ExecuteSqlRawAsync(_inboxInsert, [consumer, envelope.Id, envelope.Type, timeProvider.UtcNowMicroseconds()], cancellationToken);
        if (first == 0)
        {
            return; // handled before: the inbox says so
        }

        MessageContext.Current = (envelope.CorrelationId, envelope.Id);
        try
        {
            await dispatch(scope.ServiceProvider, integrationEvent, envelope, cancellationToken);
        }
        finally
        {
            MessageContext.Current = null;
        }

        await transaction.CommitAsync(cancellationToken);
        if (scope.ServiceProvider.GetService<Caching.CacheInvalidations>() is { } invalidations)
        {
            await invalidations.FlushAsync();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // A host may stop its services twice (WebApplicationFactory stops the server's host, disposes it, then
        // stops the host again): the second stop finds everything stopped, and disposed.
        if (Interlocked.Exchange(ref _stopCalled, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync();
        if (_channel is not null)
        {
            await _channel.CloseAsync(cancellationToken);
        }

        foreach (var lane in _lanes)
        {
            lane.Writer.TryComplete();
        }

        await Task.WhenAll(_workers).WaitAsync(cancellationToken);

        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        Interlocked.Exchange(ref _stopCalled, 1);
        _stopping.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming queue {Queue} for {Types}")]
    private static partial void LogConsuming(ILogger logger, string queue, string types);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} could not start yet: {Message}")]
    private static partial void LogStartFailed(ILogger logger, string consumer, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handling {Type} message {MessageId} failed (attempt {Attempt}, {Kind}); retrying in {DelayMs} ms before the messages behind it. {ErrorType}: {Error}")]
    private static partial void LogHandlerRetrying(ILogger logger, string type, string messageId, int attempt, string kind, long delayMs, string errorType, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling {Type} message {MessageId} failed for good after {Attempts} attempt(s)")]
    private static partial void LogHandlerGaveUp(ILogger logger, Exception exception, string type, string messageId, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped while handling {Type} message {MessageId}; the broker will deliver it again")]
    private static partial void LogStoppedWhileHandling(ILogger logger, Exception exception, string type, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not settle message {MessageId}: {Message}; the broker will redeliver it")]
    private static partial void LogSettleFailed(ILogger logger, string messageId, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring a message of unhandled type {Type}")]
    private static partial void LogUnknownMessage(ILogger logger, string type);
}
