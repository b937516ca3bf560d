using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Library.Gateway.RateLimiting;

/// <summary>The verdict for one request: allowed, or rejected until the window ends.</summary>
public readonly record struct RateLimitDecision(bool Allowed, TimeSpan RetryAfter);

/// <summary>
/// Fixed-window counters per (policy, client IP), each window opening at the client's first request,, shared by every Gateway replica through Redis (one atomic
/// INCR-and-expire per request). While Redis is unreachable each replica counts in its own memory with the same
/// windows, so a client still meets a limit (SPEC §5), and the Redis health check reports the degradation.
/// </summary>
public sealed partial class DistributedRateLimiter(IConnectionMultiplexer redis, IOptionsMonitor<RateLimitOptions> options, TimeProvider timeProvider, ILogger<DistributedRateLimiter> logger)
{
    // The window opens at a client's first request and lasts its length: no aligned boundary lets a burst count twice.
    private static readonly LuaScript s_increment = LuaScript.Prepare(
        "local count = redis.call('INCR', @key) if count == 1 then redis.call('PEXPIRE', @key, @windowMs) end return {count, redis.call('PTTL', @key)}");

    private readonly ConcurrentDictionary<string, LocalWindow> _local = new(StringComparer.Ordinal);
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
        var (count, remainingMs) = await CountAsync(key, windowMs);
        return count <= policy.PermitLimit
            ? new RateLimitDecision(true, TimeSpan.Zero)
            : new RateLimitDecision(false, TimeSpan.FromMilliseconds(Math.Max(remainingMs, 1)));
    }

    private async ValueTask<(long Count, long RemainingMs)> CountAsync(string key, long windowMs)
    {
        if (redis.IsConnected)
        {
            try
            {
                var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(s_increment, new { key = (RedisKey)key, windowMs }))!;
                Interlocked.Exchange(ref _fallbackLogged, 0);
                return ((long)result[0], (long)result[1]);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
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
            _ => new LocalWindow(now + windowMs, 1),
            (_, current) => current.EndsAt <= now ? new LocalWindow(now + windowMs, 1) : current with { Count = current.Count + 1 });
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
}
