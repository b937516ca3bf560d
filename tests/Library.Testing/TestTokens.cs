using System.Security.Cryptography;
using Library.SharedKernel.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Library.Testing;

/// <summary>
/// Access tokens for a service under test in-process, signed by a key of the test's own: the service's
/// <see cref="ISigningKeyStore"/> is replaced by <see cref="Store"/>, everything else (issuer, audience, type,
/// lifetime checks, revocation) is the real validation.
/// </summary>
public static class TestTokens
{
    private static readonly RSA s_rsa = RSA.Create(2048);

    public static RsaSecurityKey Key { get; } = new(s_rsa) { KeyId = "test-signing-key" };

    public static string Mint(string role, Guid? patronId = null, DateTimeOffset? issuedAt = null, string issuer = "library", string audience = "library-api", SecurityKey? key = null)
    {
        var now = issuedAt ?? DateTimeOffset.UtcNow;
        var claims = new Dictionary<string, object>
        {
            [LibraryClaims.Subject] = Guid.CreateVersion7().ToString(),
            [LibraryClaims.Roles] = new[] { role },
            [LibraryClaims.TokenId] = Guid.CreateVersion7().ToString(),
            [LibraryClaims.SessionId] = Guid.CreateVersion7().ToString(),
        };
        if (patronId is { } id)
        {
            claims[LibraryClaims.PatronId] = id.ToString();
        }

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = now.AddMinutes(15).UtcDateTime,
            TokenType = LibraryTokenHandler.AccessTokenType,
            Claims = claims,
            SigningCredentials = new SigningCredentials(key ?? Key, SecurityAlgorithms.RsaSha256),
        });
    }

    public sealed class Store : ISigningKeyStore
    {
        public ValueTask<IReadOnlyCollection<SecurityKey>> GetKeysAsync(string? kid, CancellationToken cancellationToken)
            => ValueTask.FromResult<IReadOnlyCollection<SecurityKey>>([Key]);
    }
}
