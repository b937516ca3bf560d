using Library.SharedKernel.Resilience;
using Library.SharedKernel.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Library.SharedKernel.Messaging;

public static class MessagingExtensions
{
    /// <summary>Publishes the context's outbox to RabbitMQ (requires AddRabbitMQClient).</summary>
    public static IServiceCollection AddOutboxRelay<TDbContext>(this IServiceCollection services)
        where TDbContext : LibraryDbContext
        => services.AddCircuitBreakers().DeclareBreaker(OutboxRelay<TDbContext>.Breaker).AddHostedService<OutboxRelay<TDbContext>>();

    /// <summary>Consumes the given event types from the consumer's own queue into handlers (requires AddRabbitMQClient).</summary>
    public static IntegrationEventConsumerBuilder AddIntegrationEventConsumer<TDbContext>(this IServiceCollection services, string consumer)
        where TDbContext : LibraryDbContext
    {
        var subscriptions = new IntegrationEventSubscriptions();
        services.AddSingleton(subscriptions);
        services.AddSingleton(sp => new DeadLetters(consumer, sp, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<DeadLetters>>()));
        services.AddHealthChecks().Add(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration(
            "dead-letters",
            sp => new DeadLettersHealthCheck(sp.GetRequiredService<DeadLetters>()),
            Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded,
            ["messaging"])); // in /health only: a dead letter is for an operator, not a reason to leave rotation
        services.AddHostedService(sp => new IntegrationEventConsumer<TDbContext>(
            consumer,
            sp.GetRequiredService<IServiceScopeFactory>(),
            sp,
            subscriptions,
            sp.GetRequiredService<IConfiguration>(),
            sp.GetRequiredService<DeadLetters>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<IntegrationEventConsumer<TDbContext>>>()));
        return new IntegrationEventConsumerBuilder(services, subscriptions);
    }
}

public sealed class IntegrationEventConsumerBuilder(IServiceCollection services, IntegrationEventSubscriptions subscriptions)
{
    public IntegrationEventConsumerBuilder Handle<TEvent, THandler>()
        where TEvent : IIntegrationEvent
        where THandler : class, IIntegrationEventHandler<TEvent>
    {
        services.AddScoped<THandler>();
        subscriptions.Add<TEvent, THandler>();
        return this;
    }
}
