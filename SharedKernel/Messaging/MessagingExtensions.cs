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
    {
        services.AddCircuitBreakers().DeclareBreaker(OutboxRelay<TDbContext>.Breaker);
        services.AddSingleton<OutboxRelay<TDbContext>>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay<TDbContext>>());
        services.AddHealthChecks().Add(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration(
            "outbox",
            sp => new OutboxHealthCheck<TDbContext>(sp.GetRequiredService<OutboxRelay<TDbContext>>()),
            Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded,
            ["messaging"])); // in /health only: a parked message is for an operator
        return services;
    }

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

/// <summary>Degraded while the relay has parked messages (given up on after repeated failed publishes).</summary>
internal sealed class OutboxHealthCheck<TDbContext>(OutboxRelay<TDbContext> relay) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
    where TDbContext : LibraryDbContext
{
    public async Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var parked = await relay.CountParkedAsync(cancellationToken);
        return parked == 0
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy("No parked outbox messages.")
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Degraded($"{parked} outbox message(s) parked after repeated failed publishes; see the logs.");
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
