using System.Collections.Concurrent;
using System.Text.Json;
using Library.SharedKernel.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Library.SharedKernel.Resilience;
using Polly.CircuitBreaker;
using StackExchange.Redis;

namespace Library.SharedKernel.Caching;

/// <summary>
/// Cache-aside for query results in Redis (SPEC §6). Every entry hangs off a generation counter: a write bumps
/// the generations it touched (after its commit), so the next read looks under a new key and loads fresh data —
/// a client reads its own writes on every replica, and a reader that loaded old data just before the write can
/// only store it under the old, dead generation. One miss loads once per process (single flight): the shared load
/// runs in a scope of its own (its own DbContext, never a waiting request's), is cancelled when every waiter has
/// left, and leaves the map when it ends, however it ends. Redis failing or slow never fails a read: a circuit
/// breaker opens and reads go to PostgreSQL until Redis is back.
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
    private readonly IServiceScopeFactory _scopes;
    private readonly ConcurrentDictionary<string, Flight> _inflight = new(StringComparer.Ordinal);
    private long _hits;
    private long _misses;
    private long _bypassed;

    /// <summary>Redis calls of the cache; a failure or an open breaker sends reads to the database.</summary>
    public static DeclaredBreaker Breaker => RedisBreaker.Declared;

    public QueryCache(IConnectionMultiplexer redis, IServiceScopeFactory scopes, IConfiguration configuration, CircuitBreakers breakers, ILogger<QueryCache> logger, string prefix)
    {
        _redis = redis;
        _scopes = scopes;
        _configuration = configuration;
        _logger = logger;
        _prefix = prefix + ":";
        _breaker = breakers.Get(Breaker.Name);
    }

    public (long Hits, long Misses, long Bypassed) Counters => (Interlocked.Read(ref _hits), Interlocked.Read(ref _misses), Interlocked.Read(ref _bypassed));

    private bool Enabled => _configuration.GetValue("Cache:Enabled", true);

    /// <summary>In-flight loads (for tests and diagnostics).</summary>
    public int LoadsInFlight => _inflight.Count;

    /// <summary>Readers waiting for an in-flight load, over all keys (for tests and diagnostics).</summary>
    public int ReadersWaiting => _inflight.Values.Sum(f => f.Waiters);

    /// <summary>
    /// The cached value of <paramref name="key"/> in the current <paramref name="generation"/>, or what
    /// <paramref name="load"/> returns. The load gets a <typeparamref name="TContext"/> (the service's DbContext) from
    /// a scope of its own: it may serve many waiting requests, and outlive the one that started it. An entry lives
    /// <c>Cache:Ttl</c> (120 s) unless <paramref name="ttl"/> says otherwise; a null result is never stored.
    /// </summary>
    public async Task<T?> GetOrLoadAsync<TContext, T>(string key, string generation, Func<TContext, CancellationToken, Task<T?>> load, CancellationToken cancellationToken, TimeSpan? ttl = null)
        where TContext : notnull
        where T : class
    {
        ArgumentNullException.ThrowIfNull(load);
        if (!Enabled)
        {
            return await LoadInScopeAsync(load, cancellationToken);
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
            return await LoadInScopeAsync(load, cancellationToken);
        }

        Interlocked.Increment(ref _misses);
        var fullKey = _prefix + key + "#" + currentGeneration;

        // One load per key and generation in this process; everyone waiting shares it.
        var flight = Join(fullKey, load, ttl);
        try
        {
            return (T?)await flight.Result.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            flight.Leave();
        }
    }

    private Flight Join<TContext, T>(string fullKey, Func<TContext, CancellationToken, Task<T?>> load, TimeSpan? ttl)
        where TContext : notnull
        where T : class
    {
        while (true)
        {
            var flight = _inflight.GetOrAdd(fullKey, static _ => new Flight());
            switch (flight.TryJoin())
            {
                case Flight.Joined.First:
                    _ = Task.Run(() => RunAsync(fullKey, flight, load, ttl));
                    return flight;
                case Flight.Joined.Waiting:
                    return flight;
                default:
                    // Everyone left it and it is being cancelled: a load of its own for this caller.
                    _inflight.TryRemove(new KeyValuePair<string, Flight>(fullKey, flight));
                    break;
            }
        }
    }

    private async Task RunAsync<TContext, T>(string fullKey, Flight flight, Func<TContext, CancellationToken, Task<T?>> load, TimeSpan? ttl)
        where TContext : notnull
        where T : class
    {
        // However it ends, the flight leaves the map before its waiters hear the outcome: a reader arriving after
        // that starts afresh (a failure is not cached, a stale result not served), never joins a finished flight.
        Action complete;
        try
        {
            var value = await LoadInScopeAsync(load, flight.Cancellation.Token);
            await StoreAsync(fullKey, value, ttl ?? _configuration.GetValue("Cache:Ttl", TimeSpan.FromSeconds(120)));
            complete = () => flight.Result.TrySetResult(value);
        }
        catch (OperationCanceledException) when (flight.Cancellation.IsCancellationRequested)
        {
            var token = flight.Cancellation.Token; // Finish disposes its source
            complete = () => flight.Result.TrySetCanceled(token);
        }
        catch (Exception e)
        {
            complete = () => flight.Result.TrySetException(e);
        }

        _inflight.TryRemove(new KeyValuePair<string, Flight>(fullKey, flight));
        flight.Finish();
        complete();
    }

    private async Task<T?> LoadInScopeAsync<TContext, T>(Func<TContext, CancellationToken, Task<T?>> load, CancellationToken cancellationToken)
        where TContext : notnull
        where T : class
    {
        await using var scope = _scopes.CreateAsyncScope();
        return await load(scope.ServiceProvider.GetRequiredService<TContext>(), cancellationToken);
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

    private async Task StoreAsync<T>(string fullKey, T? value, TimeSpan ttl)
        where T : class
    {
        if (value is null || ttl <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
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

    /// <summary>One shared load: who waits for it, and its cancellation once nobody does.</summary>
    private sealed class Flight
    {
        private readonly Lock _lock = new();
        private int _waiters;
        private bool _started;

        public int Waiters => Volatile.Read(ref _waiters);
        private bool _abandoned;
        private bool _finished;

        public enum Joined
        {
            First,
            Waiting,
            Abandoned,
        }

        public TaskCompletionSource<object?> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenSource Cancellation { get; } = new();

        public Joined TryJoin()
        {
            lock (_lock)
            {
                if (_abandoned)
                {
                    return Joined.Abandoned;
                }

                _waiters++;
                if (_started)
                {
                    return Joined.Waiting;
                }

                _started = true;
                return Joined.First;
            }
        }

        /// <summary>A waiter is done (served, or gone); the last one to leave an unfinished load cancels it.</summary>
        public void Leave()
        {
            lock (_lock)
            {
                _waiters--;
                if (_waiters == 0 && !_finished && !Result.Task.IsCompleted)
                {
                    _abandoned = true;
                    Cancellation.Cancel();
                }
            }
        }

        public void Finish()
        {
            lock (_lock)
            {
                _finished = true;
                Cancellation.Dispose();
            }
        }
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
