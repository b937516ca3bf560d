using Library.Gateway.RateLimiting;
using Library.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Library.Gateway.Tests;

/// <summary>The per-IP limiter against real Redis: shared by instances, per client, live limits, local fallback.</summary>
public sealed class DistributedRateLimiterTests(RedisServer redis) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly ConfigurationManager _configuration = new();
    private IConnectionMultiplexer _multiplexer = null!;

    public async ValueTask InitializeAsync()
    {
        _multiplexer = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        _configuration["RateLimits:Login:PermitLimit"] = "3";
        _configuration["RateLimits:Login:Window"] = "00:01:00";
    }

    public async ValueTask DisposeAsync() => await _multiplexer.DisposeAsync();

    [Fact]
    public async Task TwoInstancesOverOneRedis_ShareOneBudgetPerClient_AndTellWhenToRetry()
    {
        var first = Limiter(_multiplexer);
        var second = Limiter(_multiplexer);
        var client = Client();

        var verdicts = new[]
        {
            await first.AcquireAsync("Login", client), await second.AcquireAsync("Login", client),
            await first.AcquireAsync("Login", client), await second.AcquireAsync("Login", client),
        };

        verdicts.Select(v => v.Allowed).ShouldBe([true, true, true, false]);
        verdicts[3].RetryAfter.ShouldBeInRange(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        (await first.AcquireAsync("Login", Client())).Allowed.ShouldBeTrue("another client has its own budget");
    }

    [Fact]
    public async Task ABudgetSyncedEvery10Requests_IsSharedByTwoInstances_WithinItsOvershootBound()
    {
        _configuration["RateLimits:General:PermitLimit"] = "100";
        _configuration["RateLimits:General:Window"] = "00:01:00";
        _configuration["RateLimits:General:SyncEvery"] = "10";
        var first = Limiter(_multiplexer);
        var second = Limiter(_multiplexer);
        var client = Client();

        var allowed = 0;
        for (var i = 0; i < 300; i++)
        {
            allowed += (await (i % 2 == 0 ? first : second).AcquireAsync("General", client)).Allowed ? 1 : 0;
        }

        allowed.ShouldBeInRange(100, 100 + (2 * 10), "at most SyncEvery requests per instance beyond the limit");
        (await first.AcquireAsync("General", client)).RetryAfter.ShouldBeGreaterThan(TimeSpan.Zero);
        var redisCount = (long)await _multiplexer.GetDatabase().StringGetAsync($"ratelimit:general:{client}");
        redisCount.ShouldBeLessThanOrEqualTo(allowed, "refused requests are not counted, and the rest are counted in batches");
        redisCount.ShouldBeGreaterThanOrEqualTo(100 - 20);
    }

    [Fact]
    public async Task ALimitOfZero_SwitchesTheBudgetOff_AndAChangeAppliesLive()
    {
        var limiter = Limiter(_multiplexer);
        var client = Client();
        _configuration["RateLimits:Login:PermitLimit"] = "0";
        ((IConfigurationRoot)_configuration).Reload(); // what the etcd provider does on a change
        for (var i = 0; i < 10; i++)
        {
            (await limiter.AcquireAsync("Login", client)).Allowed.ShouldBeTrue();
        }

        _configuration["RateLimits:Login:PermitLimit"] = "1";
        ((IConfigurationRoot)_configuration).Reload();
        (await limiter.AcquireAsync("Login", client)).Allowed.ShouldBeTrue();
        (await limiter.AcquireAsync("Login", client)).Allowed.ShouldBeFalse();
    }

    [Fact]
    public async Task WithRedisUnreachable_EachInstanceCountsInItsOwnMemory_AndTheWindowEnds()
    {
        await using var unreachable = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { "127.0.0.1:1" },
            AbortOnConnectFail = false,
            ConnectTimeout = 200,
            BacklogPolicy = BacklogPolicy.FailFast,
        });
        var limiter = Limiter(unreachable);
        var client = Client();

        var verdicts = new List<bool>();
        for (var i = 0; i < 4; i++)
        {
            verdicts.Add((await limiter.AcquireAsync("Login", client)).Allowed);
        }

        verdicts.ShouldBe([true, true, true, false]);
        _clock.Advance(TimeSpan.FromMinutes(1));
        (await limiter.AcquireAsync("Login", client)).Allowed.ShouldBeTrue("a new window has begun");
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/health/ready")]
    [InlineData("/alive")]
    public async Task Probes_AreNeverRateLimited_WhileTheSameClientsOtherRequestsAre(string probe)
    {
        _configuration["RateLimits:General:PermitLimit"] = "2";
        _configuration["RateLimits:General:Window"] = "00:01:00";
        var passed = 0;
        var middleware = new RateLimitingMiddleware(_ => { passed++; return Task.CompletedTask; }, Limiter(_multiplexer));
        var address = System.Net.IPAddress.Parse($"198.51.100.{Random.Shared.Next(1, 255)}");

        async Task<int> SendAsync(string path)
        {
            var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
            context.Request.Path = path;
            context.Connection.RemoteIpAddress = address;
            context.Response.Body = new MemoryStream();
            context.RequestServices = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(Microsoft.Extensions.DependencyInjection.LoggingServiceCollectionExtensions.AddLogging(new Microsoft.Extensions.DependencyInjection.ServiceCollection()));
            await middleware.InvokeAsync(context);
            return context.Response.StatusCode;
        }

        (await SendAsync("/books")).ShouldBe(200);
        (await SendAsync("/books")).ShouldBe(200);
        (await SendAsync("/books")).ShouldBe(429, "the client's budget is spent");
        for (var i = 0; i < 20; i++)
        {
            (await SendAsync(probe)).ShouldBe(200, "a probe is exempt");
        }

        passed.ShouldBe(22);
    }

    [Fact]
    public async Task ARedisThatIsConnectedButDoesNotAnswer_CostsARequestAtMostTheCallBound_AndOpensTheBreaker()
    {
        _configuration["RateLimits:Login:PermitLimit"] = "1000";
        var breakers = new Library.SharedKernel.Resilience.CircuitBreakers(_configuration, [Library.SharedKernel.Resilience.RedisBreaker.Declared]);
        var limiter = Limiter(_multiplexer, breakers, TimeProvider.System);
        (await limiter.AcquireAsync("Login", Client())).Allowed.ShouldBeTrue();

        // A script that keeps Redis busy for 7 s: the connection stays up, nothing is answered (past 5 s, BUSY errors).
        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",asyncTimeout=20000,syncTimeout=20000");
        const string spin = "local s = redis.call('TIME') local start = tonumber(s[1]) * 1000000 + tonumber(s[2]) "
            + "while true do local n = redis.call('TIME') if tonumber(n[1]) * 1000000 + tonumber(n[2]) - start > 7000000 then break end end return 1";
        var busy = admin.GetDatabase().ScriptEvaluateAsync(spin);
        await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    await _multiplexer.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromMilliseconds(100));
                    return false;
                }
                catch (TimeoutException)
                {
                    return true; // Redis no longer answers: the script runs
                }
            },
            TimeSpan.FromSeconds(5),
            "the script to hold Redis");
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 15; i++)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            (await limiter.AcquireAsync("Login", Client())).Allowed.ShouldBeTrue("counted locally meanwhile");
            var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            slowest = took > slowest ? took : slowest;
        }

        var snapshot = breakers.Snapshot().Single(b => b.Name == "redis");
        slowest.ShouldBeLessThan(TimeSpan.FromSeconds(1.5), $"bounded by the 500 ms call bound, not Redis's 5 s timeout or the pause ({snapshot})");
        snapshot.Failures.ShouldBeGreaterThan(0, $"slowest {slowest}; {snapshot}");
        breakers.Snapshot().Single(b => b.Name == "redis").State.ShouldBe("open");
        await busy; // Redis answers again before the next test
    }

    private DistributedRateLimiter Limiter(IConnectionMultiplexer multiplexer, Library.SharedKernel.Resilience.CircuitBreakers? breakers = null, TimeProvider? time = null)
    {
        var section = _configuration.GetSection("RateLimits");
        var monitor = new OptionsMonitor<RateLimitOptions>(
            new OptionsFactory<RateLimitOptions>([new ConfigureOptions<RateLimitOptions>(o =>
            {
                foreach (var policy in section.GetChildren())
                {
                    o.Policies[policy.Key] = policy.Get<RateLimitPolicy>()!;
                }
            })], []),
            [new ConfigurationChangeTokenSource<RateLimitOptions>(section)],
            new OptionsCache<RateLimitOptions>());
        return new DistributedRateLimiter(multiplexer, monitor, breakers ?? new Library.SharedKernel.Resilience.CircuitBreakers(_configuration, []), time ?? _clock, NullLogger<DistributedRateLimiter>.Instance);
    }

    private static string Client() => $"198.51.100.{Random.Shared.Next(1, 255)}-{Guid.NewGuid():N}";
}
