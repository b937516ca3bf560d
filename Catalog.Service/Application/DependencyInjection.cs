using Library.SharedKernel.Resilience;
using Library.SharedKernel.Security;
using Library.Catalog.Application.Books.AddBook;
using Library.Catalog.Application.Books.GetBook;
using Library.Catalog.Application.Books.ListBooks;
using Library.Catalog.Application.Borrowing;
using Library.Catalog.Infrastructure.Jobs;
using Library.Catalog.Infrastructure.Patrons;
using Library.Catalog.Infrastructure.Persistence;
using Library.SharedKernel.Caching;
using Library.SharedKernel.Contracts.Lending;
using Library.SharedKernel.Contracts.Patron;
using Library.SharedKernel.Messaging;
using Library.SharedKernel.Resources;

namespace Library.Catalog.Application;

public static class DependencyInjection
{
    public const string Consumer = "catalog";

    public static IServiceCollection AddCatalogApplication(this IServiceCollection services)
    {
        services.AddQueryCache(Consumer);
        services.AddScoped<AddBookHandler>();
        services.AddScoped<GetBookHandler>();
        services.AddScoped<ListBooksHandler>();
        services.AddScoped<StartBorrowHandler>();
        services.AddScoped<BorrowOperationQueries>();
        // The breaker is outside the retries and their per-attempt timeout, so a Patron that does not answer (a
        // hung process; a stopped one behind the orchestrator's proxy) counts as failing: it opens, and borrows
        // are refused with 503 at once instead of each waiting for the timeouts.
        services.AddHttpClient<PatronEligibilityClient>(client => client.BaseAddress = new Uri($"http://{ResourceNames.PatronApi}"))
            .ForwardCallerToken()
            .WithoutStandardResilience()
            .AddCircuitBreaker(ResourceNames.PatronApi)
            .AddPatronCallTimeouts();
        services.AddScoped<PatronEligibility>();
        services.AddOutboxRelay<CatalogDbContext>();
        services.AddIntegrationEventConsumer<CatalogDbContext>(Consumer)
            .Handle<LoanCreated, LoanEventsHandler>()
            .Handle<LoanRejected, LoanEventsHandler>()
            .Handle<LoanReturned, LoanEventsHandler>()
            .Handle<PatronSuspended, PatronEventsHandler>()
            .Handle<PatronReinstated, PatronEventsHandler>()
            .Handle<PatronTierUpgraded, PatronEventsHandler>();
        services.AddSingleton<ReservationReaper>();
        services.AddHostedService(sp => sp.GetRequiredService<ReservationReaper>());
        return services;
    }
}
