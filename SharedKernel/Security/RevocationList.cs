using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Library.SharedKernel.Security;

/// <summary>
/// The deny-list of revoked access tokens (by <c>jti</c>) and sessions (by <c>sid</c>, the refresh family),
/// each until the last token it covers expires. Redis holds it for every replica (a sorted set scored by
/// expiry) and announces each revocation on a channel; every process keeps an in-memory copy fed by that
/// channel and by a snapshot at start and on reconnect, and uses the copy alone while Redis is down (SPEC §5).
/// The per-request lookup goes through the <c>redis</c> breaker with a short bound: a slow Redis costs a request
/// at most that bound, and once the breaker is open nothing (the copy decides). A revocation that cannot be shared
/// is kept in the <see cref="IRevocationBacklog"/> (Patron's database) until it is, so it survives a restart.
/// </summary>
public sealed partial class RevocationList(
    IConnectionMultiplexer redis,
    IRevocationBacklog backlog,
    Resilience.CircuitBreakers breakers,
    TimeProvider timeProvider,
    ILogger<RevocationList> logger) : IHostedService
{
    private readonly Resilience.CircuitBreaker _breaker = breakers.Get(Resilience.RedisBreaker.Declared.Name, Resilience.RedisBreaker.Declared.Defaults, Resilience.RedisBreaker.Declared.IsFailure);
    private readonly CancellationTokenSource _stopping = new();
    private int _stopCalled;
    private volatile bool _subscribed;

    public const string SetKey = "auth:revoked";
    public static readonly RedisChannel Channel = RedisChannel.Literal("auth:revocations");

    private readonly ConcurrentDictionary<string, long> _local = new(StringComparer.Ordinal);

    // Revocations made while Redis was unreachable: written and announced once it is back.
    private readonly ConcurrentDictionary<string, long> _unsynced = new(StringComparer.Ordinal);

    public static string TokenEntry(string jti) => "jti:" + jti;

    public static string SessionEntry(string sid) => "sid:" + sid;

    /// <summary>Denies the entries until <paramref name="until"/>: here at once, everywhere else through Redis.</summary>
    public async Task RevokeAsync(IReadOnlyCollection<string> entries, DateTimeOffset until)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var expiry = until.ToUnixTimeMilliseconds();
        foreach (var entry in entries)
        {
            _local[entry] = expiry;
        }

        PruneLocal(timeProvider.GetUtcNow().ToUnixTimeMilliseconds());

        try
        {
            await ShareAsync(entries.Select(e => KeyValuePair.Create(e, expiry)).ToList());
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            foreach (var entry in entries)
            {
                _unsynced[entry] = expiry;
            }

            // Durable until shared: a restart during the outage must not forget it.
            await backlog.AddAsync([.. entries.Select(entry => KeyValuePair.Create(entry, expiry))], CancellationToken.None);
            LogRedisUnavailable(logger, "revoke", e.GetType().Name);
        }
    }

    private async Task ShareAsync(IReadOnlyList<KeyValuePair<string, long>> entries)
    {
        var db = redis.GetDatabase();
        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        await db.SortedSetAddAsync(SetKey, entries.Select(e => new SortedSetEntry(e.Key, e.Value)).ToArray());
        await db.SortedSetRemoveRangeByScoreAsync(SetKey, double.NegativeInfinity, now);
        foreach (var (entry, until) in entries)
        {
            await redis.GetSubscriber().PublishAsync(Channel, Format(entry, until));
        }
    }

    /// <summary>Shares what was revoked while Redis was away, so every replica learns it once Redis is back.</summary>
    private async Task ShareUnsyncedAsync()
    {
        var pending = _unsynced.ToList();
        if (pending.Count == 0)
        {
            return;
        }

        try
        {
            await ShareAsync(pending);
            foreach (var (entry, until) in pending)
            {
                _unsynced.TryRemove(KeyValuePair.Create(entry, until));
            }

            await backlog.RemoveAsync([.. pending.Select(p => p.Key)], CancellationToken.None);
            LogShared(logger, pending.Count);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogRedisUnavailable(logger, "share", e.GetType().Name);
        }
    }

    /// <summary>True when the token or its session was revoked and the revocation has not yet expired.</summary>
    public async ValueTask<bool> IsRevokedAsync(string? jti, string? sid)
    {
        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var entries = new List<string>(2);
        if (jti is not null)
        {
            entries.Add(TokenEntry(jti));
        }

        if (sid is not null)
        {
            entries.Add(SessionEntry(sid));
        }

        if (entries.Any(e => _local.TryGetValue(e, out var until) && until > now))
        {
            return true;
        }

        if (!redis.IsConnected)
        {
            return false;
        }

        try
        {
            // The shared list is the truth: a revocation announced a moment ago may not have reached this copy.
            var keys = entries.Select(e => (RedisValue)e).ToArray();
            var scores = await _breaker.ExecuteAsync(
                async ct => await redis.GetDatabase().SortedSetScoresAsync(SetKey, keys).WaitAsync(Resilience.RedisBreaker.CallTimeout, timeProvider, ct),
                CancellationToken.None);
            var revoked = false;
            for (var i = 0; i < scores.Length; i++)
            {
                if (scores[i] is { } until && until > now)
                {
                    _local[entries[i]] = (long)until;
                    revoked = true;
                }
            }

            return revoked;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            return false;
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // What was revoked but not shared before a restart: denied here at once, shared as soon as Redis allows.
        foreach (var (entry, until) in await backlog.ListAsync(cancellationToken))
        {
            _local[entry] = until;
            _unsynced[entry] = until;
        }

        _ = RetrySharingAsync(_stopping.Token);

        redis.ConnectionRestored += (_, args) =>
        {
            if (args.ConnectionType == ConnectionType.Interactive)
            {
                _ = Task.Run(async () =>
                {
                    await ShareUnsyncedAsync();
                    await LoadSnapshotAsync();
                });
            }
        };

        await SubscribeAsync();
        await LoadSnapshotAsync();
    }

    // Once only: a host may stop its services twice, the second time after disposing them.
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopCalled, 1) == 0)
        {
            await _stopping.CancelAsync();
        }
    }

    /// <summary>
    /// Subscribes to the revocation channel. Once subscribed the multiplexer keeps the subscription across
    /// reconnects; a process that started while Redis was not up yet subscribes from the retry loop instead.
    /// </summary>
    private async Task<bool> SubscribeAsync()
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(Channel, (_, message) => Apply(message));
            _subscribed = true;
            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogRedisUnavailable(logger, "subscribe", e.GetType().Name);
            return false;
        }
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _stopCalled, 1);
        _stopping.Dispose();
    }

    /// <summary>
    /// Tries to share the backlog every few seconds while there is one (the reconnect event alone is not enough:
    /// a process that started while Redis was down has never been connected, so it never "reconnects").
    /// </summary>
    private async Task RetrySharingAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(2), timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!_subscribed && redis.IsConnected && await SubscribeAsync())
            {
                await LoadSnapshotAsync();
            }

            if (!_unsynced.IsEmpty && redis.IsConnected)
            {
                await ShareUnsyncedAsync();
            }
        }
    }

    private async Task LoadSnapshotAsync()
    {
        try
        {
            var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
            foreach (var entry in await redis.GetDatabase().SortedSetRangeByScoreWithScoresAsync(SetKey, now, double.PositiveInfinity))
            {
                _local[entry.Element!] = (long)entry.Score;
            }

            PruneLocal(now);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogRedisUnavailable(logger, "load", e.GetType().Name);
        }
    }

    /// <summary>Drops revocations whose tokens have expired anyway, so the copy never grows past the live ones.</summary>
    private void PruneLocal(long now)
    {
        foreach (var (key, until) in _local)
        {
            if (until <= now)
            {
                _local.TryRemove(key, out _);
            }
        }
    }

    private void Apply(RedisValue message)
    {
        var text = message.ToString();
        var separator = text.LastIndexOf('|');
        if (separator > 0 && long.TryParse(text.AsSpan(separator + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var until))
        {
            _local[text[..separator]] = until;
        }
    }

    private static string Format(string entry, long until) => entry + "|" + until.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shared {Count} revocation(s) made while Redis was unavailable")]
    private static partial void LogShared(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unavailable for the revocation list ({Operation}, {Error}); the in-memory copy is used")]
    private static partial void LogRedisUnavailable(ILogger logger, string operation, string error);
}

/// <summary>Revocations not yet shared through Redis, kept until they are (<c>entry → expiry in Unix ms</c>).</summary>
public interface IRevocationBacklog
{
    Task AddAsync(IReadOnlyList<KeyValuePair<string, long>> entries, CancellationToken cancellationToken);

    Task<IReadOnlyList<KeyValuePair<string, long>>> ListAsync(CancellationToken cancellationToken);

    Task RemoveAsync(IReadOnlyList<string> entries, CancellationToken cancellationToken);
}

/// <summary>The backlog of a process that only validates (it revokes nothing): memory is enough.</summary>
public sealed class InMemoryRevocationBacklog : IRevocationBacklog
{
    private readonly ConcurrentDictionary<string, long> _entries = new(StringComparer.Ordinal);

    public Task AddAsync(IReadOnlyList<KeyValuePair<string, long>> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var (entry, until) in entries)
        {
            _entries[entry] = until;
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<KeyValuePair<string, long>>> ListAsync(CancellationToken cancellationToken)
        => Task.FromResult<IReadOnlyList<KeyValuePair<string, long>>>([.. _entries]);

    public Task RemoveAsync(IReadOnlyList<string> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var entry in entries)
        {
            _entries.TryRemove(entry, out _);
        }

        return Task.CompletedTask;
    }
}
