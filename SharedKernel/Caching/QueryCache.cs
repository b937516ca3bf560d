using System.Collections.Concurrent;
using System.Text.Json;
using Library.SharedKernel.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Library.SharedKernel.Resilience;
using Polly.CircuitBreaker;
using StackExchange.Redis;

namespace Library.SharedKernel.Caching;

/// <summary>
/// Cache-aside for query results in Redis (SPEC §6). Every entry hangs off a generation counter: a write bumps
/// the generations it touched (after its commit), so the next read looks under a new key and loads fresh data —
/// a client reads its own writes on every replica, and a reader that loaded old data just before the write can
/// only store it under the old, dead generation. One miss loads once per process (single flight). Redis failing
/// or slow never fails a read: a circuit breaker opens and reads go to PostgreSQL until Redis is back.
/// </summary>
public sealed partial class QueryCache
{
    // Reads the generation and the entry in one round trip.
    private const string ReadScript = "local g = redis.call('GET', KEYS[1]) or '0' return {g, redis.call('GET', ARGV[1] .. g)}";
    private static readonly JsonSerializerOptions s_json = CreateJsonOptions();
    private readonly IConnectionMultiplexer _redis;
    private readonly IConfiguration _configuration;
    private readonly ILogger<QueryCache> _logger;
    private readonly string _prefix;
    private readonly CircuitBreaker _breaker;
    private readonly ConcurrentDictionary<string, Task<object?>> _inflight = new(StringComparer.Ordinal);
    private long _hits;
    private long _misses;
    private long _bypassed;

    /// <summary>Redis calls of the cache; a failure or an open breaker sends reads to the database.</summary>
    public static readonly DeclaredBreaker Breaker = new("redis", new BreakerDefaults(FailureRatio: 0.5, MinimumThroughput: 10), (_, e) => e is RedisException or TimeoutException);

    public QueryCache(IConnectionMultiplexer redis, IConfiguration configuration, CircuitBreakers breakers, ILogger<QueryCache> logger, string prefix)
    {
        _redis = redis;
        _configuration = configuration;
        _logger = logger;
        _prefix = prefix + ":";
        _breaker = breakers.Get(Breaker.Name);
    }

    public (long Hits, long Misses, long Bypassed) Counters => (Interlocked.Read(ref _hits), Interlocked.Read(ref _misses), Interlocked.Read(ref _bypassed));

    private bool Enabled => _configuration.GetValue("Cache:Enabled", true);

    /// <summary>The cached value of <paramref name="key"/> in the current <paramref name="generation"/>, or what <paramref name="load"/> returns.</summary>
    public async Task<T?> GetOrLoadAsync<T>(string key, string generation, Func<CancellationToken, Task<T?>> load, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(load);
        if (!Enabled)
        {
            return await load(cancellationToken);
        }

        string currentGeneration;
        try
        {
            var db = _redis.GetDatabase();
            var result = (RedisResult[])(await _breaker.ExecuteAsync(
                async _ => await db.ScriptEvaluateAsync(ReadScript, [(RedisKey)(_prefix + generation)], [(RedisValue)(_prefix + key + "#")]),
                cancellationToken))!;
            currentGeneration = (string)result[0]!;
            var cached = (byte[]?)result[1];
            if (cached is not null)
            {
                Interlocked.Increment(ref _hits);
                return JsonSerializer.Deserialize<T>(cached, s_json);
            }
        }
        catch (Exception e) when (e is BrokenCircuitException or RedisException or TimeoutException)
        {
            Interlocked.Increment(ref _bypassed);
            return await load(cancellationToken);
        }

        Interlocked.Increment(ref _misses);
        var fullKey = _prefix + key + "#" + currentGeneration;

        // One load per key and generation in this process; everyone waiting shares it.
        var loading = _inflight.GetOrAdd(fullKey, k => LoadAndStoreAsync(k, load));
        try
        {
            return (T?)await loading.WaitAsync(cancellationToken);
        }
        finally
        {
            if (loading.IsCompleted)
            {
                _inflight.TryRemove(new KeyValuePair<string, Task<object?>>(fullKey, loading));
            }
        }
    }

    /// <summary>Makes every entry of the given generations unreachable. Call after the change committed.</summary>
    public async Task InvalidateAsync(IReadOnlyCollection<string> generations)
    {
        ArgumentNullException.ThrowIfNull(generations);
        if (generations.Count == 0)
        {
            return;
        }

        try
        {
            var db = _redis.GetDatabase();
            await Task.WhenAll(generations.Select(g => db.StringIncrementAsync(_prefix + g)));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Entries expire within their TTL; reads bypass Redis while it is failing anyway.
            LogInvalidateFailed(_logger, e.Message);
        }
    }

    private async Task<object?> LoadAndStoreAsync<T>(string fullKey, Func<CancellationToken, Task<T?>> load)
        where T : class
    {
        await Task.Yield(); // never run the load inside GetOrAdd
        var value = await load(CancellationToken.None);
        if (value is not null)
        {
            try
            {
                var ttl = _configuration.GetValue("Cache:Ttl", TimeSpan.FromSeconds(120));
                var jitter = _configuration.GetValue("Cache:Jitter", 0.1);

                // Jitter spreads expiries so entries cached together do not all miss together.
                var expiry = ttl * (1 + (((Random.Shared.NextDouble() * 2) - 1) * jitter));
                var bytes = JsonSerializer.SerializeToUtf8Bytes(value, s_json);
                var db = _redis.GetDatabase();
                await _breaker.ExecuteAsync(async _ => await db.StringSetAsync((RedisKey)fullKey, (RedisValue)bytes, expiry), CancellationToken.None);
            }
            catch (Exception e) when (e is BrokenCircuitException or RedisException or TimeoutException)
            {
                // Not cached this time; the value is still served.
            }
        }

        return value;
    }

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        LibraryJson.Configure(options);
        return options;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache invalidation failed ({Message}); entries expire within their TTL")]
    private static partial void LogInvalidateFailed(ILogger logger, string message);
}
