using Library.Patron.Application.Patrons;

namespace Library.Patron.Application;

public static class DependencyInjection
{
    public static IServiceCollection AddPatronApplication(this IServiceCollection services)
    {
        services.AddScoped<RegisterPatronHandler>();
        services.AddScoped<ChangePatronHandler>();
        services.AddScoped<PatronQueries>();
        return services;
    }
}
