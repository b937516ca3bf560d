using System.Security.Cryptography;
using Library.Patron.Infrastructure.Persistence;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace Library.Patron.Infrastructure.Security;

/// <summary>
/// The RSA keys that sign access tokens, kept in the patron schema so every Patron replica signs with the same
/// key. The newest active key signs; a retired key stays published in the JWKS until every token it signed has
/// expired, so rotating never invalidates a token in flight and never needs a restart anywhere. Patron.Service
/// validates with these keys directly; everyone else reads the JWKS. The first key is created at start; the
/// ring is re-read every 10 s in the background (a request waits only for the first read or an unknown kid).
/// </summary>
public sealed partial class SigningKeyRing(IServiceScopeFactory scopes, IOptions<AuthOptions> options, TimeProvider timeProvider, ILogger<SigningKeyRing> logger) : ISigningKeyStore
{
    private static readonly TimeSpan ReloadInterval = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Ring? _ring;
    private int _reloading;

    /// <summary>
    /// Makes sure a key is in charge before the first request (run at start, after migrations), so the JWKS
    /// document of a fresh system already names the key the first token will be signed with.
    /// </summary>
    public async Task EnsureActiveKeyAsync(CancellationToken cancellationToken)
        => await GetSigningCredentialsAsync(cancellationToken);

    public async ValueTask<IReadOnlyCollection<SecurityKey>> GetKeysAsync(string? kid, CancellationToken cancellationToken)
    {
        var ring = await CurrentAsync(kid, cancellationToken);
        return ring.Published;
    }

    /// <summary>The key new tokens are signed with.</summary>
    public async Task<SigningCredentials> GetSigningCredentialsAsync(CancellationToken cancellationToken)
    {
        var ring = await CurrentAsync(null, cancellationToken);
        if (ring.Active is null)
        {
            await CreateKeyAsync(retireOthers: false, cancellationToken);
            ring = await ReloadAsync(cancellationToken);
        }
        else if (timeProvider.UtcNowMicroseconds() - ring.ActiveCreatedAt > options.Value.SigningKeyLifetime)
        {
            // Keys rotate by age too; of replicas racing here, the first retires the old key and the rest use the new one.
            await CreateKeyAsync(retireOthers: true, cancellationToken, onlyIfActive: ring.Active.KeyId);
            ring = await ReloadAsync(cancellationToken);
        }

        return new SigningCredentials(ring.Active!, SecurityAlgorithms.RsaSha256);
    }

    /// <summary>Puts a new key in charge of signing; the old ones stay published until their tokens expire.</summary>
    public async Task<string> RotateAsync(CancellationToken cancellationToken)
    {
        var kid = await CreateKeyAsync(retireOthers: true, cancellationToken);
        await ReloadAsync(cancellationToken);
        return kid;
    }

    /// <summary>The public half of every published key, as RFC 7517 JWKs.</summary>
    public async Task<IReadOnlyList<object>> GetJwksAsync(CancellationToken cancellationToken)
    {
        // Validators ask for the JWKS when they meet a kid they do not know: a key another replica created a
        // moment ago must be in it, so the document is never more than a second behind the database.
        var ring = _ring is { } current && timeProvider.GetElapsedTime(current.LoadedAt) < TimeSpan.FromSeconds(1)
            ? current
            : await ReloadAsync(cancellationToken, freshWithin: TimeSpan.FromSeconds(1));
        return ring.Published.OfType<RsaSecurityKey>().Select(key =>
        {
            var parameters = key.Rsa.ExportParameters(includePrivateParameters: false);
            return (object)new
            {
                kty = "RSA",
                use = "sig",
                alg = SecurityAlgorithms.RsaSha256,
                kid = key.KeyId,
                n = Base64UrlEncoder.Encode(parameters.Modulus),
                e = Base64UrlEncoder.Encode(parameters.Exponent),
            };
        }).ToList();
    }

    private async ValueTask<Ring> CurrentAsync(string? kid, CancellationToken cancellationToken)
    {
        var ring = _ring;
        if (ring is not null && (kid is null || ring.Kids.Contains(kid)))
        {
            // Stale-while-revalidate: a request never waits for the periodic reload (another replica's rotation
            // is picked up within the interval by one background read).
            if (timeProvider.GetElapsedTime(ring.LoadedAt) >= ReloadInterval)
            {
                ReloadInBackground();
            }

            return ring;
        }

        // An unknown kid reloads at most once a second: a forged kid cannot become a query per request.
        if (ring is not null && kid is not null && timeProvider.GetElapsedTime(ring.LoadedAt) < TimeSpan.FromSeconds(1))
        {
            return ring;
        }

        return await ReloadAsync(cancellationToken, freshWithin: kid is null ? ReloadInterval : TimeSpan.FromSeconds(1));
    }

    private void ReloadInBackground()
    {
        if (Interlocked.CompareExchange(ref _reloading, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await ReloadAsync(CancellationToken.None, freshWithin: ReloadInterval);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                // The database is unreachable for now: the keys held stay in use; the next request tries again.
                LogReloadFailed(logger, e.Message);
            }
            finally
            {
                Interlocked.Exchange(ref _reloading, 0);
            }
        });
    }

    /// <summary>Reads the keys again, unless another caller did so within <paramref name="freshWithin"/> while this one waited.</summary>
    private async Task<Ring> ReloadAsync(CancellationToken cancellationToken, TimeSpan? freshWithin = null)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (freshWithin is { } fresh && _ring is { } current && timeProvider.GetElapsedTime(current.LoadedAt) < fresh)
            {
                return current;
            }

            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PatronDbContext>();
            var publishedSince = timeProvider.UtcNowMicroseconds() - options.Value.AccessTokenLifetime - options.Value.ClockSkew - TimeSpan.FromMinutes(1);
            var rows = await db.SigningKeys.AsNoTracking()
                .Where(k => k.RetiredAt == null || k.RetiredAt > publishedSince)
                .OrderByDescending(k => k.CreatedAt)
                .ToListAsync(cancellationToken);
            // Keys are never disposed: a validation in flight, or IdentityModel's cache of signature providers
            // (keyed by kid), may still hold the previous ring's; the collector frees them.
            var ring = new Ring(rows, timeProvider.GetTimestamp());
            _ring = ring;
            return ring;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<string> CreateKeyAsync(bool retireOthers, CancellationToken cancellationToken, string? onlyIfActive = null)
    {
        using var rsa = RSA.Create(2048);
        var publicKey = new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: false));
        var kid = Base64UrlEncoder.Encode(publicKey.ComputeJwkThumbprint());
        var now = timeProvider.UtcNowMicroseconds();

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PatronDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (retireOthers)
        {
            var retired = await db.SigningKeys.Where(k => k.RetiredAt == null).ExecuteUpdateAsync(s => s.SetProperty(k => k.RetiredAt, now), cancellationToken);
            if (onlyIfActive is not null && (retired == 0 || !await db.SigningKeys.AnyAsync(k => k.Kid == onlyIfActive && k.RetiredAt == now, cancellationToken)))
            {
                // Another replica rotated the aged key a moment ago: keep its key, undo nothing of ours.
                await transaction.RollbackAsync(cancellationToken);
                return string.Empty;
            }
        }
        else if (await db.SigningKeys.AnyAsync(k => k.RetiredAt == null, cancellationToken))
        {
            // Another replica created the first key a moment ago: sign with that one.
            return string.Empty;
        }

        db.SigningKeys.Add(new SigningKey { Kid = kid, PrivateKey = rsa.ExportPkcs8PrivateKey(), CreatedAt = now });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Two replicas raced to create the first key; either key is as good.
        }

        return kid;
    }

    private sealed class Ring
    {
        public Ring(IReadOnlyList<SigningKey> rows, long loadedAt)
        {
            LoadedAt = loadedAt;
            var published = new List<SecurityKey>();
            foreach (var row in rows)
            {
                var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(row.PrivateKey, out _);
                var key = new RsaSecurityKey(rsa) { KeyId = row.Kid };
                published.Add(key);
                if (row.RetiredAt is null && Active is null)
                {
                    Active = key;
                    ActiveCreatedAt = row.CreatedAt;
                }
            }

            Published = published;
            Kids = rows.Select(r => r.Kid).ToHashSet(StringComparer.Ordinal);
        }

        public long LoadedAt { get; }

        public RsaSecurityKey? Active { get; }

        public DateTimeOffset ActiveCreatedAt { get; }

        public IReadOnlyCollection<SecurityKey> Published { get; }

        public HashSet<string> Kids { get; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing keys could not be reloaded ({Reason}); the keys held stay in use")]
    private static partial void LogReloadFailed(ILogger logger, string reason);
}
