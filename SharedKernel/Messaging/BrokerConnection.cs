using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace Library.SharedKernel.Messaging;

/// <summary>
/// The process's one AMQP connection: Aspire's <see cref="IConnection"/> (<c>AddRabbitMQClient</c>), which opens it on
/// first use, synchronously and with retries, and recovers it by itself after a broker restart. It is resolved
/// off the caller's thread; a failure (broker unreachable) is not cached, so the next attempt tries again.
/// </summary>
internal static class BrokerConnection
{
    public static Task<IConnection> GetAsync(IServiceProvider services, CancellationToken cancellationToken)
        => Task.Run(services.GetRequiredService<IConnection>, cancellationToken);
}
