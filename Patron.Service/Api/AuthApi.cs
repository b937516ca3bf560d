using System.Security.Claims;
using Library.Patron.Application.Accounts;
using Library.Patron.Application.Patrons;
using Library.Patron.Infrastructure.Security;
using Library.SharedKernel.Idempotency;
using Library.SharedKernel.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Library.Patron.Api;

/// <summary>Accounts and tokens (SPEC §4–5). <c>/auth/*</c> keeps no idempotency receipts: tokens are never stored in the clear.</summary>
public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/auth").WithTags("Auth");
        auth.MapPost("/register", RegisterAsync).AllowAnonymous().WithName("Register")
            .WithSummary("Creates an account with role patron, and its patron.").ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        auth.MapPost("/login", LoginAsync).AllowAnonymous().WithName("Login")
            .WithSummary("Exchanges e-mail and password for an access token (15 min) and a refresh token.").ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized);
        auth.MapPost("/refresh", RefreshAsync).AllowAnonymous().WithName("Refresh")
            .WithSummary("Rotates a refresh token: the old one stops working; reusing it revokes the session.").ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized);
        auth.MapPost("/logout", LogoutAsync).RequireAuthorization(LibraryPolicies.Member).WithName("Logout")
            .WithSummary("Revokes this access token and the session's refresh tokens.");
        auth.MapPost("/signing-keys", RotateSigningKeyAsync).RequireAuthorization(LibraryPolicies.Admin).WithName("RotateSigningKey")
            .WithSummary("Puts a new key in charge of signing tokens; tokens signed by the old key stay valid until they expire.");

        app.MapPost("/staff", CreateStaffAsync).RequireAuthorization(LibraryPolicies.Admin).AcceptsIdempotencyKey().WithTags("Auth").WithName("CreateStaff")
            .WithSummary("Creates a librarian or admin account.").ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        app.MapGet("/.well-known/jwks.json", JwksAsync).AllowAnonymous().WithTags("Auth").WithName("Jwks")
            .WithSummary("The public keys that access tokens are signed with.");
        return app;
    }

    private static async Task<Created<PatronResponse>> RegisterAsync(RegisterRequest request, AccountCommands accounts, CancellationToken ct)
    {
        var patron = await accounts.RegisterAsync(new RegisterAccountCommand(request.Email, request.Password, request.FirstName, request.LastName), ct);
        return TypedResults.Created($"/patrons/{patron.Id}", patron);
    }

    private static async Task<Ok<TokenPair>> LoginAsync(LoginRequest request, AccountCommands accounts, CancellationToken ct)
        => TypedResults.Ok(await accounts.LoginAsync(new LoginCommand(request.Email, request.Password), ct));

    private static async Task<Ok<TokenPair>> RefreshAsync(RefreshRequest request, AccountCommands accounts, CancellationToken ct)
        => TypedResults.Ok(await accounts.RefreshAsync(request.RefreshToken, ct));

    private static async Task<NoContent> LogoutAsync(ClaimsPrincipal user, AccountCommands accounts, CancellationToken ct)
    {
        var expires = long.TryParse(user.FindFirst("exp")?.Value, out var exp) ? DateTimeOffset.FromUnixTimeSeconds(exp) : DateTimeOffset.UtcNow.AddMinutes(15);
        await accounts.LogoutAsync(user.FindFirst(LibraryClaims.TokenId)?.Value, user.FindFirst(LibraryClaims.SessionId)?.Value, expires, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Created<SigningKeyResponse>> RotateSigningKeyAsync(SigningKeyRing keys, CancellationToken ct)
        => TypedResults.Created((string?)null, new SigningKeyResponse(await keys.RotateAsync(ct)));

    private static async Task<Created<AccountResponse>> CreateStaffAsync(CreateStaffRequest request, AccountCommands accounts, CancellationToken ct)
        => TypedResults.Created((string?)null, await accounts.CreateStaffAsync(new CreateStaffCommand(request.Email, request.Password, request.FirstName, request.LastName, request.Role), ct));

    private static async Task<Ok<JwksDocument>> JwksAsync(SigningKeyRing keys, CancellationToken ct)
        => TypedResults.Ok(new JwksDocument(await keys.GetJwksAsync(ct)));
}

public sealed record RegisterRequest(string? Email, string? Password, string? FirstName, string? LastName);

public sealed record LoginRequest(string? Email, string? Password);

public sealed record RefreshRequest(string? RefreshToken);

public sealed record CreateStaffRequest(string? Email, string? Password, string? FirstName, string? LastName, string? Role);

public sealed record SigningKeyResponse(string Kid);

public sealed record JwksDocument(IReadOnlyList<object> Keys);
