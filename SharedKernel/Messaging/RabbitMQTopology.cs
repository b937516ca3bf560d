using RabbitMQ.Client;

namespace Library.SharedKernel.Messaging;

/// <summary>SPEC §6: one topic exchange, routing key = event type, and a dead-letter exchange beside it.</summary>
public static class RabbitMQTopology
{
    public const string Exchange = "library.events";
    public const string DeadLetterExchange = "library.events.dead-letter";

    /// <summary>AMQP header with the outbox's aggregate key: consumers keep each aggregate's messages in order by it.</summary>
    public const string AggregateKeyHeader = "aggregate-key";

    public static async Task DeclareExchangesAsync(IChannel channel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        await channel.ExchangeDeclareAsync(DeadLetterExchange, ExchangeType.Direct, durable: true, autoDelete: false, cancellationToken: cancellationToken);
    }
}
