using Library.Patron.Application.Patrons;
using Library.SharedKernel.Caching;

namespace Library.Patron.Application;

public static class DependencyInjection
{
    public static IServiceCollection AddPatronApplication(this IServiceCollection services)
    {
        services.AddQueryCache("patron");
        services.AddScoped<RegisterPatronHandler>();
        services.AddScoped<ChangePatronHandler>();
        services.AddScoped<PatronQueries>();
        return services;
    }
}
