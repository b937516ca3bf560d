namespace Library.Patron.Infrastructure.Security;

/// <summary>
/// One refresh token of a sign-in session (its family). Only the SHA-256 of the token is stored. A token is used
/// once: refreshing marks it used and issues the next one of the family; presenting a used token again means it
/// was stolen or replayed, and the whole family is revoked (SPEC §5).
/// </summary>
public sealed class RefreshToken
{
    public required byte[] TokenHash { get; init; }

    public required Guid FamilyId { get; init; }

    public required Guid AccountId { get; init; }

    public required DateTimeOffset IssuedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    public DateTimeOffset? UsedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>The hash of the token this one was rotated into (its successor), set when it is used.</summary>
    public byte[]? ReplacedBy { get; set; }
}

/// <summary>An RSA key that signs access tokens; the newest active key signs, retired keys stay published a while.</summary>
public sealed class SigningKey
{
    public required string Kid { get; init; }

    /// <summary>PKCS#8 private key. The table belongs to the patron role alone (SPEC §5's one role per schema).</summary>
    public required byte[] PrivateKey { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? RetiredAt { get; set; }
}
