using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Library.SharedKernel.Security;

/// <summary>
/// Public keys from Patron.Service's JWKS document, fetched through service discovery and cached
/// (stale-while-revalidate). Once keys are held, a request never waits for the scheduled refresh: past
/// <see cref="AuthOptions.JwksRefreshInterval"/> it is validated against the keys held while one background fetch
/// renews them. A request waits only when there is nothing to validate with yet (the first token) or its token
/// names a key not held (rotated in a moment ago) — and then for at most <see cref="AuthOptions.JwksFetchTimeout"/>,
/// and at most one such fetch per <see cref="AuthOptions.JwksMinRefreshInterval"/> (a stream of forged
/// <c>kid</c>s cannot become a stream of fetches). A failed fetch keeps the keys held.
/// </summary>
public sealed partial class JwksSigningKeyStore(IHttpClientFactory httpClientFactory, IOptions<AuthOptions> options, TimeProvider timeProvider, ILogger<JwksSigningKeyStore> logger)
    : ISigningKeyStore
{
    public const string HttpClientName = "jwks";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile KeySnapshot _snapshot = KeySnapshot.Empty;
    private long _lastAttempt = long.MinValue;
    private int _refreshing;

    /// <summary>Fetches made since start (for tests and diagnostics).</summary>
    public long Fetches => Interlocked.Read(ref _fetches);

    private long _fetches;

    public async ValueTask<IReadOnlyCollection<SecurityKey>> GetKeysAsync(string? kid, CancellationToken cancellationToken)
    {
        var snapshot = _snapshot;
        var unknownKid = kid is not null && !snapshot.Kids.Contains(kid);
        if (snapshot.FetchedAt != long.MinValue && !unknownKid)
        {
            if (IsStale(snapshot))
            {
                RefreshInBackground();
            }

            return snapshot.Keys;
        }

        // Nothing held yet, or a kid we do not hold. Right after a fetch, a rotated-in key waits for the next allowed
        // fetch rather than failing; forged kids cost their sender the wait and us at most one fetch per interval.
        var wait = UntilNextFetchAllowed();
        if (wait > TimeSpan.Zero)
        {
            if (snapshot.FetchedAt != long.MinValue && wait > options.Value.JwksFetchTimeout)
            {
                return snapshot.Keys;
            }

            await Task.Delay(wait, timeProvider, cancellationToken);
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            snapshot = _snapshot;
            var stillNeeded = snapshot.FetchedAt == long.MinValue || (kid is not null && !snapshot.Kids.Contains(kid));
            var notYet = UntilNextFetchAllowed();
            if (stillNeeded && notYet > TimeSpan.Zero && notYet <= options.Value.JwksFetchTimeout)
            {
                // A fetch (a background refresh, say) began a moment ago, perhaps before the key was created: wait
                // for the next allowed one rather than answer with what that fetch found.
                await Task.Delay(notYet, timeProvider, cancellationToken);
                notYet = TimeSpan.Zero;
            }

            if (stillNeeded && notYet <= TimeSpan.Zero)
            {
                using var timeout = new CancellationTokenSource(options.Value.JwksFetchTimeout, timeProvider);
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
                _snapshot = snapshot = await FetchAsync(snapshot, bounded.Token);
            }

            return snapshot.Keys;
        }
        finally
        {
            _gate.Release();
        }
    }

    private bool IsStale(KeySnapshot snapshot)
        => timeProvider.GetElapsedTime(snapshot.FetchedAt) > options.Value.JwksRefreshInterval;

    private TimeSpan UntilNextFetchAllowed()
    {
        var lastAttempt = Interlocked.Read(ref _lastAttempt);
        return lastAttempt == long.MinValue ? TimeSpan.Zero : options.Value.JwksMinRefreshInterval - timeProvider.GetElapsedTime(lastAttempt);
    }

    /// <summary>One background refresh at a time; requests go on with the keys held meanwhile.</summary>
    private void RefreshInBackground()
    {
        if (UntilNextFetchAllowed() > TimeSpan.Zero || Interlocked.CompareExchange(ref _refreshing, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await _gate.WaitAsync();
                try
                {
                    if (IsStale(_snapshot))
                    {
                        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(30), timeProvider);
                        _snapshot = await FetchAsync(_snapshot, bounded.Token);
                    }
                }
                finally
                {
                    _gate.Release();
                }
            }
            catch (Exception e)
            {
                LogFetchFailed(logger, options.Value.JwksUri, _snapshot.Keys.Count, e.Message);
            }
            finally
            {
                Interlocked.Exchange(ref _refreshing, 0);
            }
        });
    }

    private async Task<KeySnapshot> FetchAsync(KeySnapshot current, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _lastAttempt, timeProvider.GetTimestamp());
        Interlocked.Increment(ref _fetches);
        try
        {
            using var client = httpClientFactory.CreateClient(HttpClientName);
            var json = await client.GetStringAsync(options.Value.JwksUri, cancellationToken);
            var keys = new JsonWebKeySet(json).GetSigningKeys();
            return new KeySnapshot(keys.ToArray(), keys.Select(k => k.KeyId).ToHashSet(StringComparer.Ordinal), timeProvider.GetTimestamp());
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or ArgumentException or Polly.ExecutionRejectedException)
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
