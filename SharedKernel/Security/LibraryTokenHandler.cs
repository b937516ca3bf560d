using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Library.SharedKernel.Security;

/// <summary>
/// Validates access tokens against the keys of <see cref="ISigningKeyStore"/>, asking it for the token's
/// <c>kid</c> first so a key rotated in is fetched before the token is judged (asynchronously, never blocking).
/// A token that validated is remembered until it expires, so a client's next requests skip the RSA check and
/// the parsing; revocation is still checked on every request (JwtBearer's TokenValidated event).
/// </summary>
public sealed class LibraryTokenHandler(ISigningKeyStore keys, TimeProvider timeProvider) : JsonWebTokenHandler
{
    /// <summary>RFC 9068's media type for JWT access tokens: no other JWT (an ID token, anything else) passes.</summary>
    public const string AccessTokenType = "at+jwt";

    private const int MaxRemembered = 20_000;
    private readonly ConcurrentDictionary<string, Validated> _validated = new(StringComparer.Ordinal);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        ArgumentNullException.ThrowIfNull(validationParameters);
        var now = timeProvider.GetUtcNow().UtcDateTime;
        if (token is not null && _validated.TryGetValue(token, out var known))
        {
            if (known.Until > now)
            {
                return new TokenValidationResult { IsValid = true, ClaimsIdentity = known.Identity.Clone(), SecurityToken = known.Token, Issuer = known.Issuer };
            }

            _validated.TryRemove(token, out _);
        }

        string? kid = null;
        if (CanReadToken(token))
        {
            try
            {
                kid = ReadJsonWebToken(token).Kid;
            }
            catch (ArgumentException)
            {
                // Not a JWT at all (an opaque refresh token, garbage): the base handler rejects it.
            }
        }

        var parameters = validationParameters.Clone();
        parameters.IssuerSigningKeys = await keys.GetKeysAsync(kid, CancellationToken.None);
        var result = await base.ValidateTokenAsync(token, parameters);
        if (result.IsValid && token is not null && result.SecurityToken is JsonWebToken jwt)
        {
            if (_validated.Count >= MaxRemembered)
            {
                _validated.Clear();
            }

            _validated[token] = new Validated(result.ClaimsIdentity.Clone(), jwt, result.Issuer, jwt.ValidTo + validationParameters.ClockSkew);
        }

        return result;
    }

    private sealed record Validated(ClaimsIdentity Identity, JsonWebToken Token, string Issuer, DateTime Until);
}
