namespace Library.SharedKernel.Security;

/// <summary>Token settings shared by the issuer (Patron.Service) and every validator (section <c>Auth</c>).</summary>
public sealed class AuthOptions
{
    public string Issuer { get; set; } = "library";

    public string Audience { get; set; } = "library-api";

    /// <summary>Where validators fetch the public keys; a service-discovery name, resolved like every other call.</summary>
    public Uri JwksUri { get; set; } = new("http://patron-api/.well-known/jwks.json");

    /// <summary>Keys are re-read this often, and at once (at most every <see cref="JwksMinRefreshInterval"/>) on an unknown <c>kid</c>.</summary>
    public TimeSpan JwksRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan JwksMinRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest a request waits for keys (only when none are held yet, or its token names an unknown key).</summary>
    public TimeSpan JwksFetchTimeout { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long after a refresh token was rotated presenting it again counts as a client retrying (its answer was
    /// lost, or two tabs refreshed at once) rather than a theft: a new sibling is minted and the earlier successor
    /// revoked. After it, reuse revokes the whole family. Zero turns the grace off.
    /// </summary>
    public TimeSpan RefreshReuseGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The issuer puts a new signing key in charge once the active one is this old (and on <c>POST /auth/signing-keys</c>).</summary>
    public TimeSpan SigningKeyLifetime { get; set; } = TimeSpan.FromDays(30);
}
