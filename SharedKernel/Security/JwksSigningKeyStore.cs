using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Library.SharedKernel.Security;

/// <summary>
/// Public keys from Patron.Service's JWKS document, fetched through service discovery and cached. The cache is
/// refreshed on a timer and whenever a token names a key it does not hold (at most every few seconds, so a
/// stream of forged <c>kid</c>s cannot turn into a stream of fetches). If the document cannot be fetched the
/// last keys fetched stay in use.
/// </summary>
public sealed partial class JwksSigningKeyStore(IHttpClientFactory httpClientFactory, IOptions<AuthOptions> options, TimeProvider timeProvider, ILogger<JwksSigningKeyStore> logger)
    : ISigningKeyStore
{
    public const string HttpClientName = "jwks";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile KeySnapshot _snapshot = KeySnapshot.Empty;
    private long _lastAttempt = long.MinValue;

    public async ValueTask<IReadOnlyCollection<SecurityKey>> GetKeysAsync(string? kid, CancellationToken cancellationToken)
    {
        var snapshot = _snapshot;
        if (!NeedsFetch(snapshot, kid, out var wait))
        {
            return snapshot.Keys;
        }

        // A kid we do not hold right after a fetch (a key rotated in a moment ago) waits for the next allowed
        // fetch rather than failing; forged kids cost their sender the wait and us at most one fetch per interval.
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, timeProvider, cancellationToken);
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            snapshot = _snapshot;
            if (NeedsFetch(snapshot, kid, out var stillWait) && stillWait <= TimeSpan.Zero)
            {
                _snapshot = snapshot = await FetchAsync(snapshot, cancellationToken);
            }

            return snapshot.Keys;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>True when the keys should be fetched: <paramref name="wait"/> is how long until a fetch is allowed.</summary>
    private bool NeedsFetch(KeySnapshot snapshot, string? kid, out TimeSpan wait)
    {
        var now = timeProvider.GetTimestamp();
        var stale = snapshot.FetchedAt == long.MinValue || timeProvider.GetElapsedTime(snapshot.FetchedAt, now) > options.Value.JwksRefreshInterval;
        var unknownKid = kid is not null && !snapshot.Kids.Contains(kid);
        var lastAttempt = Interlocked.Read(ref _lastAttempt);
        wait = lastAttempt == long.MinValue ? TimeSpan.Zero : options.Value.JwksMinRefreshInterval - timeProvider.GetElapsedTime(lastAttempt, now);
        if (wait > TimeSpan.Zero && stale && !unknownKid)
        {
            return false; // a stale snapshot is still good; it is refreshed once the interval allows
        }

        return stale || unknownKid;
    }

    private async Task<KeySnapshot> FetchAsync(KeySnapshot current, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _lastAttempt, timeProvider.GetTimestamp());
        try
        {
            using var client = httpClientFactory.CreateClient(HttpClientName);
            var json = await client.GetStringAsync(options.Value.JwksUri, cancellationToken);
            var keys = new JsonWebKeySet(json).GetSigningKeys();
            return new KeySnapshot(keys.ToArray(), keys.Select(k => k.KeyId).ToHashSet(StringComparer.Ordinal), timeProvider.GetTimestamp());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ArgumentException or Polly.ExecutionRejectedException)
        {
            LogFetchFailed(logger, options.Value.JwksUri, current.Keys.Count, e.Message);
            return current;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not fetch signing keys from {JwksUri}; keeping the {KeyCount} keys held: {Reason}")]
    private static partial void LogFetchFailed(ILogger logger, Uri jwksUri, int keyCount, string reason);

    private sealed record KeySnapshot(IReadOnlyCollection<SecurityKey> Keys, HashSet<string> Kids, long FetchedAt)
    {
        public static readonly KeySnapshot Empty = new([], [], long.MinValue);
    }
}
