using System.Collections.Concurrent;
using Library.SharedKernel.Resilience;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Library.Gateway.RateLimiting;

/// <summary>The verdict for one request: allowed, or rejected until the window ends.</summary>
public readonly record struct RateLimitDecision(bool Allowed, TimeSpan RetryAfter);

/// <summary>
/// Fixed-window counters per (policy, client IP), each window opening at the client's first request, shared by
/// every Gateway replica through Redis: one atomic INCRBY-and-expire per request for exact budgets (login,
/// register), or once every <c>SyncEvery</c> requests for a generous one (the general budget), which then counts
/// locally in between and may overshoot by at most <c>SyncEvery</c> per replica per window. While Redis is
/// unreachable each replica counts in its own memory with the same windows, so a client still meets a limit
/// (SPEC §5), and the Redis health check reports the degradation. Each Redis call goes through the process's
/// <c>redis</c> breaker with a short bound, so a Redis that is slow but connected costs a request at most that
/// bound, and nothing once the breaker has opened.
/// </summary>
public sealed partial class DistributedRateLimiter(
    IConnectionMultiplexer redis,
    IOptionsMonitor<RateLimitOptions> options,
    CircuitBreakers breakers,
    TimeProvider timeProvider,
    ILogger<DistributedRateLimiter> logger)
{
    private readonly CircuitBreaker _breaker = breakers.Get(RedisBreaker.Declared.Name, RedisBreaker.Declared.Defaults, RedisBreaker.Declared.IsFailure);

    // The window opens at a client's first request and lasts its length: no aligned boundary lets a burst count
    // twice. The script is atomic, so "count == by" means this call created the key.
    private static readonly LuaScript s_increment = LuaScript.Prepare(
        "local count = redis.call('INCRBY', @key, @by) if count == tonumber(@by) then redis.call('PEXPIRE', @key, @windowMs) end return {count, redis.call('PTTL', @key)}");

    private readonly ConcurrentDictionary<string, LocalWindow> _local = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BatchedWindow> _batched = new(StringComparer.Ordinal);
    private long _lastPrune;
    private int _fallbackLogged;

    public async ValueTask<RateLimitDecision> AcquireAsync(string policyName, string client)
    {
        if (!options.CurrentValue.Policies.TryGetValue(policyName, out var policy) || policy.PermitLimit <= 0 || policy.Window <= TimeSpan.Zero)
        {
            return new RateLimitDecision(true, TimeSpan.Zero);
        }

        var windowMs = (long)policy.Window.TotalMilliseconds;
        var key = $"ratelimit:{policyName.ToLowerInvariant()}:{client}";
        if (policy.SyncEvery > 1)
        {
            return await AcquireBatchedAsync(key, policy, windowMs);
        }

        var (count, remainingMs) = await CountAsync(key, 1, windowMs);
        return Verdict(count <= policy.PermitLimit, remainingMs);
    }

    private static RateLimitDecision Verdict(bool allowed, long remainingMs)
        => allowed ? new RateLimitDecision(true, TimeSpan.Zero) : new RateLimitDecision(false, TimeSpan.FromMilliseconds(Math.Max(remainingMs, 1)));

    /// <summary>Counts locally and adds the local count to Redis every <c>SyncEvery</c> requests (and on each window's first).</summary>
    private async ValueTask<RateLimitDecision> AcquireBatchedAsync(string key, RateLimitPolicy policy, long windowMs)
    {
        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var window = _batched.GetOrAdd(key, _ => new BatchedWindow());
        long flush;
        lock (window)
        {
            if (window.EndsAt != 0 && window.EndsAt <= now)
            {
                (window.Global, window.Pending, window.EndsAt) = (0, 0, 0);
            }

            if (window.EndsAt != 0 && window.Global + window.Pending + 1 > policy.PermitLimit)
            {
                return Verdict(false, window.EndsAt - now);
            }

            window.Pending++;
            if (window.EndsAt != 0 && window.Pending < policy.SyncEvery)
            {
                return Verdict(true, 0);
            }

            flush = window.Pending;
            window.Pending = 0;
        }

        var (count, remainingMs) = await CountAsync(key, flush, windowMs);
        lock (window)
        {
            window.Global = Math.Max(window.Global, count);
            window.EndsAt = now + Math.Max(remainingMs, 1);
        }

        PruneBatched(now);
        return Verdict(count <= policy.PermitLimit, remainingMs);
    }

    private void PruneBatched(long now)
    {
        if (_batched.Count < 10_000)
        {
            return;
        }

        foreach (var (key, value) in _batched)
        {
            if (value.EndsAt != 0 && value.EndsAt <= now)
            {
                _batched.TryRemove(key, out _);
            }
        }
    }

    private async ValueTask<(long Count, long RemainingMs)> CountAsync(string key, long by, long windowMs)
    {
        if (redis.IsConnected)
        {
            try
            {
                var result = await _breaker.ExecuteAsync(
                    async ct => (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(s_increment, new { key = (RedisKey)key, by, windowMs }).WaitAsync(RedisBreaker.CallTimeout, timeProvider, ct))!,
                    CancellationToken.None);
                Interlocked.Exchange(ref _fallbackLogged, 0);
                return ((long)result[0], (long)result[1]);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or Polly.CircuitBreaker.BrokenCircuitException)
            {
                // Counted locally below.
            }
        }

        if (Interlocked.Exchange(ref _fallbackLogged, 1) == 0)
        {
            LogLocalFallback(logger);
        }

        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        Prune(now);
        var entry = _local.AddOrUpdate(
            key,
            _ => new LocalWindow(now + windowMs, by),
            (_, current) => current.EndsAt <= now ? new LocalWindow(now + windowMs, by) : current with { Count = current.Count + by });
        return (entry.Count, entry.EndsAt - now);
    }

    private void Prune(long now)
    {
        // At most once a second, drop the windows that have ended.
        var last = Interlocked.Read(ref _lastPrune);
        if (now - last < 1000 || Interlocked.CompareExchange(ref _lastPrune, now, last) != last)
        {
            return;
        }

        foreach (var (key, value) in _local)
        {
            if (value.EndsAt <= now)
            {
                _local.TryRemove(key, out _);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unreachable: rate limits are counted per Gateway instance until it is back")]
    private static partial void LogLocalFallback(ILogger logger);

    private sealed record LocalWindow(long EndsAt, long Count);

    /// <summary>One client's window as this instance sees it: the shared count at the last sync, and what it has let through since.</summary>
    private sealed class BatchedWindow
    {
        public long Global { get; set; }

        public long Pending { get; set; }

        /// <summary>Unix ms; 0 = not synced yet in this window.</summary>
        public long EndsAt { get; set; }
    }
}
