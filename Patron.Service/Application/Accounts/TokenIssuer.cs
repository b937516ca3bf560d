using System.Security.Cryptography;
using Library.Patron.Domain.Accounts;
using Library.Patron.Infrastructure.Persistence;
using Library.Patron.Infrastructure.Security;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Security;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Library.Patron.Application.Accounts;

/// <summary>The body of login and refresh (SPEC §4).</summary>
public sealed record TokenPair(string AccessToken, string RefreshToken, int ExpiresIn, string TokenType = "Bearer");

/// <summary>
/// Issues an access token (RS256 JWT, <c>typ</c> at+jwt, 15 minutes) and an opaque refresh token of the same
/// session family. Only the refresh token's SHA-256 is stored.
/// </summary>
public sealed class TokenIssuer(PatronDbContext db, SigningKeyRing keys, IOptions<AuthOptions> options, TimeProvider timeProvider)
{
    private static readonly JsonWebTokenHandler s_handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>Adds the refresh token to the unit of work; the caller commits it with whatever else changed.</summary>
    public async Task<TokenPair> IssueAsync(Account account, Guid familyId, CancellationToken cancellationToken)
        => (await IssueWithHashAsync(account, familyId, cancellationToken)).Pair;

    /// <summary>Issues a pair and returns the new refresh token's hash too (what it is stored under).</summary>
    public async Task<(TokenPair Pair, byte[] RefreshTokenHash)> IssueWithHashAsync(Account account, Guid familyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var auth = options.Value;
        var now = timeProvider.UtcNowMicroseconds();
        var claims = new Dictionary<string, object>
        {
            [LibraryClaims.Subject] = account.Id.ToString(),
            [LibraryClaims.Roles] = new[] { account.Role },
            [LibraryClaims.TokenId] = Guid.CreateVersion7().ToString(),
            [LibraryClaims.SessionId] = familyId.ToString(),
        };
        if (account.PatronId is { } patronId)
        {
            claims[LibraryClaims.PatronId] = patronId.ToString();
        }

        var accessToken = s_handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = auth.Issuer,
            Audience = auth.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + auth.AccessTokenLifetime).UtcDateTime,
            TokenType = LibraryTokenHandler.AccessTokenType,
            Claims = claims,
            SigningCredentials = await keys.GetSigningCredentialsAsync(cancellationToken),
        });

        var refreshToken = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var hash = Hash(refreshToken);
        db.RefreshTokens.Add(new RefreshToken
        {
            TokenHash = hash,
            FamilyId = familyId,
            AccountId = account.Id.Value,
            IssuedAt = now,
            ExpiresAt = now + auth.RefreshTokenLifetime,
        });
        return (new TokenPair(accessToken, refreshToken, (int)auth.AccessTokenLifetime.TotalSeconds), hash);
    }

    public static byte[] Hash(string refreshToken) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(refreshToken));
}
