using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Library.SharedKernel.Messaging;

/// <summary>
/// A consumer's dead-letter queue: where a message goes once its handler has failed for good (decision 0007), how
/// many wait there, and putting them back on the consumer's queue once the cause is fixed. A message is moved with
/// publisher confirms before the original is acked (at least once; the inbox makes a second copy harmless).
/// </summary>
public sealed partial class DeadLetters(string consumer, IServiceProvider services, TimeProvider timeProvider, ILogger<DeadLetters> logger) : IAsyncDisposable
{
    /// <summary>Headers the consumer adds to a dead-lettered message: why, after how many attempts, when.</summary>
    public const string ReasonHeader = "x-library-dead-letter-reason";
    public const string AttemptsHeader = "x-library-attempts";
    public const string DeadLetteredAtHeader = "x-library-dead-lettered-at";
    public const string ReplayedHeader = "x-library-replayed";

    private static readonly TimeSpan CountFreshFor = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _publishing = new(1, 1);
    private IChannel? _channel;
    private (long Count, DateTimeOffset At)? _count;
    private long _sinceStart;

    public string Queue => consumer;

    public string DeadLetterQueue => consumer + ".dead-letter";

    /// <summary>Where an admin sees and replays them: <c>/admin/{consumer}/dead-letters</c>.</summary>
    public string Path => $"/admin/{consumer}/dead-letters";

    /// <summary>Messages this process has dead-lettered since it started.</summary>
    public long DeadLetteredSinceStart => Interlocked.Read(ref _sinceStart);

    /// <summary>Moves a delivery to the dead-letter queue with the reason; the caller acks the original afterwards.</summary>
    internal async Task SendAsync(BasicDeliverEventArgs delivery, Exception reason, int attempts, CancellationToken cancellationToken)
    {
        var properties = new BasicProperties(delivery.BasicProperties)
        {
            Headers = new Dictionary<string, object?>(delivery.BasicProperties.Headers ?? new Dictionary<string, object?>())
            {
                [ReasonHeader] = Describe(reason),
                [AttemptsHeader] = attempts,
                [DeadLetteredAtHeader] = timeProvider.GetUtcNow().ToString("O"),
            },
        };
        await PublishAsync(RabbitMQTopology.DeadLetterExchange, DeadLetterQueue, properties, delivery.Body, cancellationToken);
        Interlocked.Increment(ref _sinceStart);
        _count = null;
        LogDeadLettered(logger, delivery.BasicProperties.Type ?? "?", delivery.BasicProperties.MessageId ?? "?", attempts, DeadLetterQueue, Describe(reason), Path);
    }

    /// <summary>How many messages wait in the dead-letter queue (the broker's count, at most a few seconds old); null if the broker cannot say.</summary>
    public async Task<long?> CountAsync(CancellationToken cancellationToken)
    {
        if (_count is { } known && timeProvider.GetUtcNow() - known.At < CountFreshFor)
        {
            return known.Count;
        }

        try
        {
            var connection = await BrokerConnection.GetAsync(services, cancellationToken);
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            var count = (await channel.QueueDeclarePassiveAsync(DeadLetterQueue, cancellationToken)).MessageCount;
            _count = (count, timeProvider.GetUtcNow());
            return count;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null; // the broker is unreachable, or the consumer has not declared its queues yet
        }
    }

    /// <summary>
    /// Puts up to <paramref name="max"/> dead-lettered messages back on the consumer's queue, oldest first; returns
    /// how many. Each is handled again as if new (a message handled before is acked by its inbox row).
    /// </summary>
    public async Task<int> ReplayAsync(int max, CancellationToken cancellationToken)
    {
        var connection = await BrokerConnection.GetAsync(services, cancellationToken);
        await using var reader = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var waiting = (await reader.QueueDeclarePassiveAsync(DeadLetterQueue, cancellationToken)).MessageCount;
        var replayed = 0;

        // Only those waiting now: a replayed message that fails again comes back later and is not taken twice.
        while (replayed < Math.Min(max, waiting))
        {
            var message = await reader.BasicGetAsync(DeadLetterQueue, autoAck: false, cancellationToken);
            if (message is null)
            {
                break;
            }

            var headers = new Dictionary<string, object?>(message.BasicProperties.Headers ?? new Dictionary<string, object?>());
            foreach (var name in headers.Keys.Where(k => k.StartsWith("x-death", StringComparison.Ordinal) || k.StartsWith("x-first-death", StringComparison.Ordinal) || k.StartsWith("x-last-death", StringComparison.Ordinal)).ToList())
            {
                headers.Remove(name);
            }

            headers[ReplayedHeader] = timeProvider.GetUtcNow().ToString("O");
            var properties = new BasicProperties(message.BasicProperties) { Headers = headers };
            await PublishAsync(string.Empty, Queue, properties, message.Body, cancellationToken);
            await reader.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
            LogReplayed(logger, message.BasicProperties.Type ?? "?", message.BasicProperties.MessageId ?? "?", Queue);
            replayed++;
        }

        _count = null;
        return replayed;
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is { } channel)
        {
            _channel = null;
            await channel.DisposeAsync();
        }

        _publishing.Dispose();
    }

    private async Task PublishAsync(string exchange, string routingKey, BasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        await _publishing.WaitAsync(cancellationToken);
        try
        {
            if (_channel is not { IsOpen: true })
            {
                var connection = await BrokerConnection.GetAsync(services, cancellationToken);
                _channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
            }

            // With confirmation tracking on, this returns once the broker has the message (or throws).
            await _channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, body, cancellationToken);
        }
        finally
        {
            _publishing.Release();
        }
    }

    private static string Describe(Exception e)
    {
        var message = e.Message.Length > 300 ? e.Message[..300] + "…" : e.Message;
        return $"{e.GetType().Name}: {message}";
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Dead-lettered {Type} message {MessageId} after {Attempts} attempts to {DeadLetterQueue}: {Reason}. Replay it with POST {Path}/replay once the cause is fixed")]
    private static partial void LogDeadLettered(ILogger logger, string type, string messageId, int attempts, string deadLetterQueue, string reason, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replayed dead-lettered {Type} message {MessageId} onto {Queue}")]
    private static partial void LogReplayed(ILogger logger, string type, string messageId, string queue);
}

/// <summary>Degraded (never Unhealthy: the service still serves) while messages wait in the dead-letter queue.</summary>
internal sealed class DeadLettersHealthCheck(DeadLetters deadLetters) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var count = await deadLetters.CountAsync(cancellationToken);
        var data = new Dictionary<string, object> { ["queue"] = deadLetters.DeadLetterQueue, ["deadLetteredSinceStart"] = deadLetters.DeadLetteredSinceStart };
        if (count is null)
        {
            return HealthCheckResult.Healthy("The dead-letter queue cannot be counted right now (the broker's own check reports why).", data);
        }

        data["waiting"] = count.Value;
        return count.Value == 0
            ? HealthCheckResult.Healthy("No dead-lettered messages.", data)
            : HealthCheckResult.Degraded($"{count.Value} message(s) wait in {deadLetters.DeadLetterQueue}; see the logs for why, fix the cause, then POST {deadLetters.Path}/replay.", data: data);
    }
}

public static class DeadLetterEndpoints
{
    /// <summary>
    /// <c>GET /admin/{consumer}/dead-letters</c> (the queue and how many wait) and
    /// <c>POST /admin/{consumer}/dead-letters/replay?max=N</c> (put them back on the consumer's queue), for admins;
    /// mapped only in a service that consumes events. The same paths at the Gateway.
    /// </summary>
    public static IEndpointRouteBuilder MapDeadLetterEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ServiceProvider.GetService<DeadLetters>() is not { } deadLetters)
        {
            return app;
        }

        var group = app.MapGroup(deadLetters.Path).RequireAuthorization(Security.LibraryPolicies.Admin).WithTags("Operations");
        group.MapGet("", async (DeadLetters deadLetters, CancellationToken ct) =>
            await deadLetters.CountAsync(ct) is { } count
                ? Results.Ok(new DeadLetterQueueState(deadLetters.DeadLetterQueue, count, deadLetters.DeadLetteredSinceStart))
                : Http.Problems.Create(StatusCodes.Status503ServiceUnavailable, Http.ProblemCodes.DependencyUnavailable, "The broker cannot be reached; retry later."))
            .WithName("GetDeadLetters");
        group.MapPost("/replay", async (DeadLetters deadLetters, int? max, CancellationToken ct) =>
        {
            if (max is < 1 or > 10_000)
            {
                return Http.Problems.Create(StatusCodes.Status400BadRequest, Http.ProblemCodes.ValidationFailed, "max must be between 1 and 10000.");
            }

            return Results.Ok(new DeadLetterReplay(deadLetters.DeadLetterQueue, await deadLetters.ReplayAsync(max ?? 1_000, ct)));
        }).WithName("ReplayDeadLetters");
        return app;
    }
}

public sealed record DeadLetterQueueState(string Queue, long Waiting, long DeadLetteredSinceStart);

public sealed record DeadLetterReplay(string Queue, int Replayed);
