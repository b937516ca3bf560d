using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Library.Gateway.RateLimiting;

/// <summary>The verdict for one request: allowed, or rejected until the window ends.</summary>
public readonly record struct RateLimitDecision(bool Allowed, TimeSpan RetryAfter);

/// <summary>
/// Fixed-window counters per (policy, client IP), shared by every Gateway replica through Redis (one atomic
/// INCR-and-expire per request). While Redis is unreachable each replica counts in its own memory with the same
/// windows, so a client still meets a limit (SPEC §5), and the Redis health check reports the degradation.
/// </summary>
public sealed partial class DistributedRateLimiter(IConnectionMultiplexer redis, IOptionsMonitor<RateLimitOptions> options, TimeProvider timeProvider, ILogger<DistributedRateLimiter> logger)
{
    private static readonly LuaScript s_increment = LuaScript.Prepare(
        "local count = redis.call('INCR', @key) if count == 1 then redis.call('PEXPIRE', @key, @windowMs) end return count");

    private readonly ConcurrentDictionary<string, LocalWindow> _local = new(StringComparer.Ordinal);
    private long _lastPrune;
    private int _fallbackLogged;

    public async ValueTask<RateLimitDecision> AcquireAsync(string policyName, string client)
    {
        if (!options.CurrentValue.Policies.TryGetValue(policyName, out var policy) || policy.PermitLimit <= 0 || policy.Window <= TimeSpan.Zero)
        {
            return new RateLimitDecision(true, TimeSpan.Zero);
        }

        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var windowMs = (long)policy.Window.TotalMilliseconds;
        var window = now / windowMs;
        var retryAfter = TimeSpan.FromMilliseconds(((window + 1) * windowMs) - now);
        var key = $"ratelimit:{policyName.ToLowerInvariant()}:{client}:{window}";
        var count = await CountAsync(key, window, windowMs);
        return new RateLimitDecision(count <= policy.PermitLimit, count <= policy.PermitLimit ? TimeSpan.Zero : retryAfter);
    }

    private async ValueTask<long> CountAsync(string key, long window, long windowMs)
    {
        if (redis.IsConnected)
        {
            try
            {
                var count = (long)await redis.GetDatabase().ScriptEvaluateAsync(s_increment, new { key = (RedisKey)key, windowMs });
                Interlocked.Exchange(ref _fallbackLogged, 0);
                return count;
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

        Prune(window);
        var entry = _local.AddOrUpdate(key, _ => new LocalWindow(window, 1), (_, current) => current with { Count = current.Count + 1 });
        return entry.Count;
    }

    private void Prune(long window)
    {
        var last = Interlocked.Read(ref _lastPrune);
        if (last == window || Interlocked.CompareExchange(ref _lastPrune, window, last) != last)
        {
            return;
        }

        foreach (var (key, value) in _local)
        {
            if (value.Window < window)
            {
                _local.TryRemove(key, out _);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unreachable: rate limits are counted per Gateway instance until it is back")]
    private static partial void LogLocalFallback(ILogger logger);

    private sealed record LocalWindow(long Window, long Count);
}
