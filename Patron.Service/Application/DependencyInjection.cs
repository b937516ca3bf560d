using Library.Patron.Application.Accounts;
using Library.Patron.Application.Patrons;
using Library.Patron.Domain.Accounts;
using Library.Patron.Infrastructure.Security;
using Library.SharedKernel.Caching;
using Library.SharedKernel.Security;
using Microsoft.AspNetCore.Identity;

namespace Library.Patron.Application;

public static class DependencyInjection
{
    public static IServiceCollection AddPatronApplication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddQueryCache("patron");
        services.AddScoped<RegisterPatronHandler>();
        services.AddScoped<ChangePatronHandler>();
        services.AddScoped<PatronQueries>();

        // Patron.Service issues the tokens: it signs with, and validates against, its own key ring (no JWKS round trip).
        services.AddSingleton<SigningKeyRing>();
        services.AddSingleton<Library.SharedKernel.Security.IRevocationBacklog, DatabaseRevocationBacklog>();
        services.AddSingleton<ISigningKeyStore>(sp => sp.GetRequiredService<SigningKeyRing>());
        services.AddSingleton<IPasswordHasher<Account>, PasswordHasher<Account>>();
        services.AddOptions<Accounts.LockoutOptions>().Bind(configuration.GetSection("Auth:Lockout"));
        services.AddScoped<TokenIssuer>();
        services.AddScoped<AccountCommands>();
        return services;
    }
}
