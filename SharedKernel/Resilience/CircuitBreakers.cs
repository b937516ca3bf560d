using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Primitives;
using Polly;
using Polly.CircuitBreaker;

namespace Library.SharedKernel.Resilience;

/// <summary>
/// A named Polly circuit breaker whose thresholds come from configuration
/// (<c>Resilience:Breakers:{name}:FailureRatio|MinimumThroughput|SamplingDuration|BreakDuration</c>) and follow it
/// live: a change (etcd, environment) rebuilds the breaker, which starts again closed. Counts what it let
/// through, what failed and what it turned away, for <c>/health/circuits</c>.
/// </summary>
public sealed class CircuitBreaker
{
    private readonly IConfiguration _configuration;
    private readonly Func<object?, Exception?, bool> _isFailure;
    private readonly BreakerDefaults _defaults;
    private volatile Built _built;
    private long _successes;
    private long _failures;
    private long _rejected;
    private long _opened;
    private DateTimeOffset? _lastOpenedAt;

    internal CircuitBreaker(string name, IConfiguration configuration, BreakerDefaults defaults, Func<object?, Exception?, bool> isFailure)
    {
        Name = name;
        _configuration = configuration;
        _defaults = defaults;
        _isFailure = isFailure;
        _built = Build();
        ChangeToken.OnChange(() => configuration.GetSection(Section).GetReloadToken(), Rebuild);
    }

    public string Name { get; }

    public CircuitState State => _built.State.CircuitState;

    private string Section => $"Resilience:Breakers:{Name}";

    public async ValueTask<T> ExecuteAsync<T>(Func<CancellationToken, ValueTask<T>> action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            var result = await _built.Pipeline.ExecuteAsync(async ct => (object?)await action(ct), cancellationToken);
            return (T)result!;
        }
        catch (BrokenCircuitException)
        {
            Interlocked.Increment(ref _rejected);
            throw;
        }
    }

    public async ValueTask ExecuteAsync(Func<CancellationToken, ValueTask> action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        await ExecuteAsync<object?>(async ct =>
        {
            await action(ct);
            return null;
        }, cancellationToken);
    }

    public CircuitSnapshot Snapshot()
    {
        var settings = _built.Settings;
        return new CircuitSnapshot(
            Name,
            State switch { CircuitState.Closed => "closed", CircuitState.Open => "open", CircuitState.HalfOpen => "half-open", _ => "isolated" },
            Interlocked.Read(ref _successes),
            Interlocked.Read(ref _failures),
            Interlocked.Read(ref _rejected),
            Interlocked.Read(ref _opened),
            _lastOpenedAt,
            settings);
    }

    /// <summary>Any configuration reload lands here; only a change of this breaker's own thresholds rebuilds it.</summary>
    private void Rebuild()
    {
        if (ReadSettings() != _built.Settings)
        {
            _built = Build();
        }
    }

    private BreakerSettings ReadSettings()
    {
        var section = _configuration.GetSection(Section);
        return new BreakerSettings(
            section.GetValue("FailureRatio", _defaults.FailureRatio),
            section.GetValue("MinimumThroughput", _defaults.MinimumThroughput),
            section.GetValue("SamplingDuration", _defaults.SamplingDuration),
            section.GetValue("BreakDuration", _defaults.BreakDuration));
    }

    private Built Build()
    {
        var settings = ReadSettings();
        var state = new CircuitBreakerStateProvider();
        var pipeline = new ResiliencePipelineBuilder<object?>()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<object?>
            {
                FailureRatio = Math.Clamp(settings.FailureRatio, 0.01, 1.0),
                MinimumThroughput = Math.Max(2, settings.MinimumThroughput),
                SamplingDuration = settings.SamplingDuration < TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : settings.SamplingDuration,
                BreakDuration = settings.BreakDuration < TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : settings.BreakDuration,
                StateProvider = state,
                ShouldHandle = args =>
                {
                    // A timeout (cancellation the caller did not ask for) is a failure of the dependency.
                    var failed = _isFailure(args.Outcome.Result, args.Outcome.Exception)
                        || (args.Outcome.Exception is OperationCanceledException && !args.Context.CancellationToken.IsCancellationRequested);
                    Interlocked.Increment(ref failed ? ref _failures : ref _successes);
                    return ValueTask.FromResult(failed);
                },
                OnOpened = _ =>
                {
                    Interlocked.Increment(ref _opened);
                    _lastOpenedAt = DateTimeOffset.UtcNow;
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        return new Built(pipeline, state, settings);
    }

    private sealed record Built(ResiliencePipeline<object?> Pipeline, CircuitBreakerStateProvider State, BreakerSettings Settings);
}

/// <summary>Thresholds of one breaker, as configured (SPEC §6: from configuration).</summary>
public sealed record BreakerSettings(double FailureRatio, int MinimumThroughput, TimeSpan SamplingDuration, TimeSpan BreakDuration);

/// <summary>Defaults a breaker uses for what configuration does not say.</summary>
public sealed record BreakerDefaults(double FailureRatio = 0.5, int MinimumThroughput = 5, TimeSpan SamplingDuration = default, TimeSpan BreakDuration = default)
{
    public TimeSpan SamplingDuration { get; init; } = SamplingDuration == default ? TimeSpan.FromSeconds(10) : SamplingDuration;

    public TimeSpan BreakDuration { get; init; } = BreakDuration == default ? TimeSpan.FromSeconds(5) : BreakDuration;
}

public sealed record CircuitSnapshot(string Name, string State, long Successes, long Failures, long Rejected, long TimesOpened, DateTimeOffset? LastOpenedAt, BreakerSettings Settings);

/// <summary>A breaker the process will use, created with the registry so it is listed from the start.</summary>
public sealed record DeclaredBreaker(string Name, BreakerDefaults Defaults, Func<object?, Exception?, bool> IsFailure);

/// <summary>Every breaker of the process, by name; what <c>/health/circuits</c> lists.</summary>
public sealed class CircuitBreakers
{
    private readonly IConfiguration configuration;
    private readonly ConcurrentDictionary<string, CircuitBreaker> _breakers = new(StringComparer.Ordinal);

    public CircuitBreakers(IConfiguration configuration, IEnumerable<DeclaredBreaker> declared)
    {
        ArgumentNullException.ThrowIfNull(declared);
        this.configuration = configuration;
        foreach (var breaker in declared)
        {
            Get(breaker.Name, breaker.Defaults, breaker.IsFailure);
        }
    }

    /// <summary>The breaker named <paramref name="name"/>, created on first use; exceptions count as failures unless <paramref name="isFailure"/> says otherwise.</summary>
    public CircuitBreaker Get(string name, BreakerDefaults? defaults = null, Func<object?, Exception?, bool>? isFailure = null)
        => _breakers.GetOrAdd(name, n => new CircuitBreaker(n, configuration, defaults ?? new BreakerDefaults(), isFailure ?? ((_, e) => e is not null and not OperationCanceledException)));

    public IReadOnlyList<CircuitSnapshot> Snapshot() => [.. _breakers.Values.Select(b => b.Snapshot()).OrderBy(s => s.Name, StringComparer.Ordinal)];
}

public static class CircuitBreakerExtensions
{
    public const string CircuitsPath = "/health/circuits";

    /// <summary>The breaker registry and a readiness check that reports Degraded (never Unhealthy) while any breaker is open.</summary>
    public static IServiceCollection AddCircuitBreakers(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(CircuitBreakers)))
        {
            return services;
        }

        services.AddSingleton<CircuitBreakers>();
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            "circuits",
            sp => new CircuitsHealthCheck(sp.GetRequiredService<CircuitBreakers>()),
            HealthStatus.Degraded,
            [Microsoft.Extensions.Hosting.Extensions.ReadyTag]));
        return services;
    }

    /// <summary>Creates the breaker with the registry, so <c>/health/circuits</c> lists it before its first call.</summary>
    public static IServiceCollection DeclareBreaker(this IServiceCollection services, DeclaredBreaker breaker)
    {
        services.AddSingleton(breaker);
        return services;
    }

    /// <summary><c>GET /health/circuits</c>: each breaker with its state, counts and thresholds (no secrets; anonymous like every probe).</summary>
    public static IEndpointRouteBuilder MapCircuitsEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapGet(CircuitsPath, (CircuitBreakers breakers) =>
        {
            var circuits = breakers.Snapshot();
            return Results.Json(new
            {
                status = circuits.Any(c => c.State != "closed") ? "Degraded" : "Healthy",
                circuits,
            });
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private sealed class CircuitsHealthCheck(CircuitBreakers breakers) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var open = breakers.Snapshot().Where(c => c.State != "closed").Select(c => c.Name).ToList();
            return Task.FromResult(open.Count == 0 ? HealthCheckResult.Healthy() : HealthCheckResult.Degraded($"Open: {string.Join(", ", open)}"));
        }
    }
}

/// <summary>Runs an HttpClient's calls through a named breaker: exceptions and 5xx answers count as failures.</summary>
public sealed class CircuitBreakerHandler(CircuitBreaker breaker) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        => await breaker.ExecuteAsync(async ct => await base.SendAsync(request, ct), cancellationToken);
}

public static class HttpClientBreakerExtensions
{
    /// <summary>The outermost handler of the client: when the breaker is open calls fail at once (the API answers 503).</summary>
    public static IHttpClientBuilder AddCircuitBreaker(this IHttpClientBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddCircuitBreakers().DeclareBreaker(new DeclaredBreaker(
            name,
            new BreakerDefaults(FailureRatio: 0.5, MinimumThroughput: 5),
            (result, e) => (e is not null and not OperationCanceledException) || (result is HttpResponseMessage { StatusCode: >= System.Net.HttpStatusCode.InternalServerError })));
        return builder.AddHttpMessageHandler(sp => new CircuitBreakerHandler(sp.GetRequiredService<CircuitBreakers>().Get(name)));
    }
}
