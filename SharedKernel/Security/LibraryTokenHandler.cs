using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Library.SharedKernel.Security;

/// <summary>
/// Validates access tokens against the keys of <see cref="ISigningKeyStore"/>, asking it for the token's
/// <c>kid</c> first so a key rotated in is fetched before the token is judged (asynchronously, never blocking).
/// </summary>
public sealed class LibraryTokenHandler(ISigningKeyStore keys) : JsonWebTokenHandler
{
    /// <summary>RFC 9068's media type for JWT access tokens: no other JWT (an ID token, anything else) passes.</summary>
    public const string AccessTokenType = "at+jwt";

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        ArgumentNullException.ThrowIfNull(validationParameters);
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
        return await base.ValidateTokenAsync(token, parameters);
    }
}
