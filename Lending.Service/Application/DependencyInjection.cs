using Library.Lending.Application.Events;
using Library.Lending.Application.Loans;
using Library.Lending.Infrastructure;
using Library.Lending.Infrastructure.Jobs;
using Library.Lending.Infrastructure.Notifications;
using Library.Lending.Infrastructure.Persistence;
using Library.SharedKernel.Resilience;
using Library.SharedKernel.Caching;
using Library.SharedKernel.Contracts.Catalog;
using Library.SharedKernel.Contracts.Patron;
using Library.SharedKernel.Messaging;

namespace Library.Lending.Application;

public static class DependencyInjection
{
    public const string Consumer = "lending";

    public static IServiceCollection AddLendingApplication(this IServiceCollection services)
    {
        services.AddQueryCache(Consumer);
        services.AddSingleton<LendingPolicyProvider>();
        services.AddScoped<LoanCommands>();
        services.AddScoped<LoanQueries>();
        services.AddOutboxRelay<LendingDbContext>();
        services.AddIntegrationEventConsumer<LendingDbContext>(Consumer)
            .Handle<PatronRegistered, PatronEventsHandler>()
            .Handle<PatronSuspended, PatronEventsHandler>()
            .Handle<PatronReinstated, PatronEventsHandler>()
            .Handle<PatronTierUpgraded, PatronEventsHandler>()
            .Handle<BookReserved, BookReservedHandler>()
            .Handle<BookReservationReleased, BookReservationReleasedHandler>();
        services.AddCircuitBreakers().DeclareBreaker(MailDispatcher.Breaker);
        services.AddHostedService<MailDispatcher>();
        services.AddSingleton<OverdueSweep>();
        services.AddHostedService(sp => sp.GetRequiredService<OverdueSweep>());
        return services;
    }
}
