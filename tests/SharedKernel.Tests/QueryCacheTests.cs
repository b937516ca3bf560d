using Library.SharedKernel.Caching;
using Library.SharedKernel.Resilience;
using Library.SharedKernel.Resources;
using Library.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

[assembly: AssemblyFixture(typeof(Library.SharedKernel.Tests.CacheRedis))]

namespace Library.SharedKernel.Tests;

/// <summary>The app model's Redis, for the query cache's tests.</summary>
public sealed class CacheRedis() : AppHostServers(ResourceNames.Redis), IAsyncLifetime;

/// <summary>
/// The query cache's single flight under concurrency: a shared load runs on a context of its own (never on the
/// request that started it, which may be gone), is cancelled once nobody waits for it, and never outlives its end
/// in the map (a failure is not served to the next caller).
/// </summary>
public sealed class QueryCacheTests(CacheRedis redis) : IAsyncDisposable
{
    private readonly ServiceProvider _services = Services(redis);

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task ManyReadersOfOneMissingKey_WhoseFirstCallerGivesUp_AllGetTheValue_FromOneLoadOnItsOwnContext()
    {
        var cache = _services.GetRequiredService<QueryCache>();
        var key = Guid.NewGuid().ToString("N");
        var release = new TaskCompletionSource();
        var loads = 0;

        async Task<Value?> Load(Context context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref loads);
            context.Begin();
            try
            {
                await release.Task.WaitAsync(cancellationToken);
                return new Value(key);
            }
            finally
            {
                context.End();
            }
        }

        // The first caller starts the load, then gives up (its request was aborted) while it runs.
        using var firstGivesUp = new CancellationTokenSource();
        var first = cache.GetOrLoadAsync<Context, Value>(key, "gen:test", Load, firstGivesUp.Token);
        await Poll.UntilAsync(() => Volatile.Read(ref loads) == 1, TimeSpan.FromSeconds(5), "the load to start");
        var others = Enumerable.Range(0, 50).Select(_ => cache.GetOrLoadAsync<Context, Value>(key, "gen:test", Load, CancellationToken.None)).ToList();
        await Poll.UntilAsync(() => cache.ReadersWaiting == 51, TimeSpan.FromSeconds(5), "every reader to wait for the one load");
        await firstGivesUp.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => first);

        release.SetResult();
        var values = await Task.WhenAll(others);

        values.ShouldAllBe(v => v!.Key == key);
        loads.ShouldBe(1, "one load served every waiter");
        Context.Overlaps.ShouldBe(0, "no context was used by two operations at once");
        Context.UsedAfterDisposal.ShouldBe(0, "the load's context outlived no scope");
        cache.LoadsInFlight.ShouldBe(0);
    }

    [Fact]
    public async Task ALoadEveryWaiterLeft_IsCancelled_AndTheNextReaderLoadsAfresh()
    {
        var cache = _services.GetRequiredService<QueryCache>();
        var key = Guid.NewGuid().ToString("N");
        var cancelled = new TaskCompletionSource();

        async Task<Value?> Hanging(Context context, CancellationToken cancellationToken)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return null;
            }
            catch (OperationCanceledException)
            {
                cancelled.SetResult();
                throw;
            }
        }

        using var gone = new CancellationTokenSource();
        var waiters = Enumerable.Range(0, 5).Select(_ => cache.GetOrLoadAsync<Context, Value>(key, "gen:test", Hanging, gone.Token)).ToList();
        await gone.CancelAsync();
        foreach (var waiter in waiters)
        {
            await Should.ThrowAsync<OperationCanceledException>(() => waiter);
        }

        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await Poll.UntilAsync(() => cache.LoadsInFlight == 0, TimeSpan.FromSeconds(5), "the abandoned load to leave the map");
        (await cache.GetOrLoadAsync<Context, Value>(key, "gen:test", (_, _) => Task.FromResult<Value?>(new Value("fresh")), CancellationToken.None))!.Key.ShouldBe("fresh");
    }

    [Fact]
    public async Task AFailedLoad_ReachesItsWaiters_AndIsNotServedToTheNextReader()
    {
        var cache = _services.GetRequiredService<QueryCache>();
        var key = Guid.NewGuid().ToString("N");

        await Should.ThrowAsync<InvalidOperationException>(() => cache.GetOrLoadAsync<Context, Value>(key, "gen:test", (_, _) => throw new InvalidOperationException("the database is away"), CancellationToken.None));

        cache.LoadsInFlight.ShouldBe(0);
        (await cache.GetOrLoadAsync<Context, Value>(key, "gen:test", (_, _) => Task.FromResult<Value?>(new Value("loaded")), CancellationToken.None))!.Key.ShouldBe("loaded");
    }

    private static ServiceProvider Services(CacheRedis redis)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddLogging();
        services.AddSingleton<IConnectionMultiplexer>(ConnectionMultiplexer.Connect(redis.ConnectionStrings[ResourceNames.Redis]));
        services.AddScoped<Context>();
        services.AddQueryCache($"test-{Guid.NewGuid():N}");
        return services.BuildServiceProvider();
    }

    public sealed record Value(string Key);

    /// <summary>Stands in for a pooled DbContext: counts overlapping operations and use after its scope ended.</summary>
    public sealed class Context : IDisposable
    {
        private int _active;
        private bool _disposed;

        public static int Overlaps { get; private set; }

        public static int UsedAfterDisposal { get; private set; }

        public void Begin()
        {
            if (_disposed)
            {
                UsedAfterDisposal++;
            }

            if (Interlocked.Increment(ref _active) > 1)
            {
                Overlaps++;
            }
        }

        public void End()
        {
            if (_disposed)
            {
                UsedAfterDisposal++;
            }

            Interlocked.Decrement(ref _active);
        }

        public void Dispose() => _disposed = true;
    }
}
