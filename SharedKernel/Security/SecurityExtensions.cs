using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Library.SharedKernel.Security;

/// <summary>
/// Access-token validation and the route policies, identical in the Gateway and every service (SPEC §5: the
/// Gateway validates and enforces, every service validates and enforces again). Endpoints that declare nothing
/// require a signed-in principal: a route can only be opened on purpose.
/// </summary>
public static class SecurityExtensions
{
    public static IHostApplicationBuilder AddLibraryAuthentication(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<AuthOptions>().Bind(builder.Configuration.GetSection("Auth"));
        services.AddHttpClient(JwksSigningKeyStore.HttpClientName);
        services.TryAddSingleton<ISigningKeyStore, JwksSigningKeyStore>();
        Resilience.CircuitBreakerExtensions.DeclareBreaker(Resilience.CircuitBreakerExtensions.AddCircuitBreakers(services), Resilience.RedisBreaker.Declared);
        services.TryAddSingleton<IRevocationBacklog, InMemoryRevocationBacklog>();
        services.TryAddSingleton<RevocationList>();
        services.AddHostedService(sp => sp.GetRequiredService<RevocationList>());

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<ISigningKeyStore, IOptions<AuthOptions>, TimeProvider>((options, keys, auth, time) =>
            {
                options.MapInboundClaims = false;
                options.RequireHttpsMetadata = false;
                options.TokenHandlers.Clear();
                options.TokenHandlers.Add(new LibraryTokenHandler(keys, time));
                options.TokenValidationParameters = ValidationParameters(auth.Value);
                options.Events = new JwtBearerEvents { OnTokenValidated = RejectRevokedAsync };
            });

        services.AddAuthorizationBuilder()
            .AddPolicy(LibraryPolicies.Member, policy => policy.RequireClaim(LibraryClaims.Roles, LibraryRoles.Patron, LibraryRoles.Librarian, LibraryRoles.Admin))
            .AddPolicy(LibraryPolicies.Librarian, policy => policy.RequireClaim(LibraryClaims.Roles, LibraryRoles.Librarian, LibraryRoles.Admin))
            .AddPolicy(LibraryPolicies.Admin, policy => policy.RequireClaim(LibraryClaims.Roles, LibraryRoles.Admin))
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireClaim(LibraryClaims.Roles, LibraryRoles.Patron, LibraryRoles.Librarian, LibraryRoles.Admin).Build());
        return builder;
    }

    public static IApplicationBuilder UseLibraryAuthentication(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseAuthentication();

        // A request that matched no endpoint is answered 404 (405 for a known path with another method) before
        // the fallback policy could turn it into a 401: a missing route is not an authentication problem.
        app.Use((context, next) =>
        {
            var endpoint = context.GetEndpoint();
            if (endpoint is null || endpoint.DisplayName?.StartsWith("405 ", StringComparison.Ordinal) == true)
            {
                if (endpoint is null)
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }

                return endpoint.RequestDelegate?.Invoke(context) ?? Task.CompletedTask;
            }

            return next(context);
        });
        app.UseAuthorization();
        return app;
    }

    /// <summary>What makes a token an access token of this system: one algorithm, one type, our issuer and audience.</summary>
    public static TokenValidationParameters ValidationParameters(AuthOptions auth)
    {
        ArgumentNullException.ThrowIfNull(auth);
        return new TokenValidationParameters
        {
            ValidIssuer = auth.Issuer,
            ValidAudience = auth.Audience,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ValidTypes = [LibraryTokenHandler.AccessTokenType],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = auth.ClockSkew,
            NameClaimType = LibraryClaims.Subject,
            RoleClaimType = LibraryClaims.Roles,
        };
    }

    private static async Task RejectRevokedAsync(TokenValidatedContext context)
    {
        var principal = context.Principal!;
        var revocations = context.HttpContext.RequestServices.GetRequiredService<RevocationList>();
        if (await revocations.IsRevokedAsync(principal.FindFirst(LibraryClaims.TokenId)?.Value, principal.FindFirst(LibraryClaims.SessionId)?.Value))
        {
            context.Fail("The token was revoked.");
        }
    }
}
