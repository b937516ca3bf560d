using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Live configuration from etcd (SPEC §6): keys under <c>/library/shared/</c> and then <c>/library/{service}/</c>
/// become configuration keys (<c>/library/lending/Lending/Policy/Regular/MaxLoans</c> → <c>Lending:Policy:Regular:MaxLoans</c>),
/// layered above appsettings and below environment variables. The prefix is watched and every change reloads
/// the configuration at once; while etcd is unreachable (at start or later) the last values read stay in force,
/// one warning is logged per outage, and nothing blocks or crashes.
/// </summary>
public static class EtcdConfigurationExtensions
{
    public static IHostApplicationBuilder AddEtcdConfiguration(this IHostApplicationBuilder builder, string connectionName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Configuration[$"ConnectionStrings:{connectionName}"] is not { Length: > 0 } endpoint
            || builder.Configuration["Etcd:Service"] is not { Length: > 0 } service)
        {
            return builder;
        }

        var source = new EtcdConfigurationSource(new Uri(endpoint), service);
        var sources = ((IConfigurationBuilder)builder.Configuration).Sources;
        var afterAppSettings = sources.Select((s, i) => (s, i)).LastOrDefault(x => x.s is JsonConfigurationSource).i;
        sources.Insert(afterAppSettings + 1, source);
        builder.Services.AddSingleton(source);
        builder.Services.AddHostedService<EtcdConfigurationReporter>();
        return builder;
    }
}

public sealed class EtcdConfigurationSource(Uri endpoint, string service) : IConfigurationSource
{
    private Action<LogLevel, string>? _log;

    public Uri Endpoint { get; } = endpoint;

    public string Service { get; } = service;

    /// <summary>The provider in use: configuration managers build a new one whenever their sources change (and dispose the old one).</summary>
    public EtcdConfigurationProvider? Provider { get; private set; }

    public IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        var provider = new EtcdConfigurationProvider(this);
        if (_log is { } log)
        {
            provider.AttachLogger(log);
        }

        return Provider = provider;
    }

    /// <summary>Hands the host's logger to the current provider and to every later one.</summary>
    internal void AttachLogger(Action<LogLevel, string> log)
    {
        _log = log;
        Provider?.AttachLogger(log);
    }
}

public sealed class EtcdConfigurationProvider : ConfigurationProvider, IDisposable
{
    private const string Root = "/library/";
    private readonly HttpClient _http;
    private readonly string[] _prefixes;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private Action<LogLevel, string>? _log;
    private readonly List<(LogLevel, string)> _pending = [];
    private bool _reachable = true;
    private int _watching;
    private int _disposed;
    private long _revision;

    /// <summary>Tests only: runs after a read and before the watch that follows it (a change made "in between").</summary>
    internal Func<Task>? BeforeWatch { get; set; }

    /// <summary>Tests only: runs between the reads of the two prefixes.</summary>
    internal Func<Task>? BetweenReads { get; set; }

    /// <summary>How long one read of etcd may take before it counts as unreachable.</summary>
    internal static TimeSpan RequestTimeout { get; } = TimeSpan.FromSeconds(3);

    /// <summary>How long the watch stream may stay silent (etcd sends progress notifications) before it is renewed.</summary>
    internal static TimeSpan WatchIdleTimeout { get; } = TimeSpan.FromSeconds(15);

    internal EtcdConfigurationProvider(EtcdConfigurationSource source)
    {
        _http = new HttpClient { BaseAddress = source.Endpoint, Timeout = Timeout.InfiniteTimeSpan };
        _prefixes = [$"{Root}shared/", $"{Root}{source.Service}/"];
    }

    public override void Load()
    {
        // Startup never waits long for etcd: two seconds, then appsettings and the environment alone.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            TryReloadAsync(timeout.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            Reachable(false, Data.Count);
        }

        if (Interlocked.Exchange(ref _watching, 1) == 0)
        {
            _ = Task.Run(WatchAsync);
        }
    }

    /// <summary>Hands over to the host's logger; what happened before it existed is logged then.</summary>
    internal void AttachLogger(Action<LogLevel, string> log)
    {
        lock (_lock)
        {
            _log = log;
            foreach (var (level, message) in _pending)
            {
                log(level, message);
            }

            _pending.Clear();
        }
    }

    // A configuration rebuild (a source inserted later) hands the same provider to the new manager: disposed once.
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _http.Dispose();
        _stop.Dispose();
    }

    /// <summary>Reads both prefixes (each request bounded by <see cref="RequestTimeout"/>); false if etcd did not answer.</summary>
    private async Task<bool> TryReloadAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Both prefixes are read at one revision (the first read's; the second is a snapshot read at it), so the
            // watch from just after it misses nothing: with two reads at their own revisions, a change to the first
            // prefix made between them was below the second read's revision and never seen.
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            long? revision = null;
            foreach (var prefix in _prefixes)
            {
                if (revision is not null && BetweenReads is { } between)
                {
                    await between();
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(RequestTimeout);
                var (kvs, atRevision) = await RangeAsync(prefix, revision, timeout.Token);
                revision ??= atRevision;
                foreach (var (key, value) in kvs)
                {
                    data[key[prefix.Length..].Trim('/').Replace('/', ':')] = value;
                }
            }

            _revision = revision ?? 0;

            var changed = !SameAs(data);
            Data = data;
            Reachable(true, data.Count);
            if (changed)
            {
                Log(LogLevel.Information, $"Configuration from etcd applied: {data.Count} keys under {string.Join(" and ", _prefixes)}");
                OnReload();
            }

            return true;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException or IOException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            Reachable(false, Data.Count);
            return false;
        }
    }

    private async Task WatchAsync()
    {
        var delay = TimeSpan.FromMilliseconds(500);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                // Read again first, then watch from just after what was read: no change is lost in between.
                if (await TryReloadAsync(_stop.Token))
                {
                    delay = TimeSpan.FromMilliseconds(500);
                    if (BeforeWatch is { } beforeWatch)
                    {
                        await beforeWatch();
                    }

                    await WatchOnceAsync(_revision + 1, _stop.Token);
                    continue; // the stream ended or went quiet: read and watch again at once
                }
            }
            catch (TimeoutException)
            {
                continue; // nothing heard for a while: a half-open connection is not trusted; read and watch again
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JsonException || (e is OperationCanceledException && !_stop.IsCancellationRequested))
            {
                Reachable(false, Data.Count);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                // Never let the watch end silently: say why, and keep watching.
                Log(LogLevel.Error, $"The etcd watch failed unexpectedly ({e.GetType().Name}: {e.Message}); retrying");
            }

            try
            {
                await Task.Delay(delay, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    /// <summary>
    /// One watch stream over the whole <c>/library/</c> prefix from <paramref name="startRevision"/>; each event
    /// re-reads the two ranges. etcd is asked for progress notifications; a stream that stays silent longer than
    /// <see cref="WatchIdleTimeout"/> (a half-open connection, or a proxy in front of a stopped etcd) ends with a
    /// <see cref="TimeoutException"/>, and the caller reads and watches again.
    /// </summary>
    private async Task WatchOnceAsync(long startRevision, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v3/watch")
        {
            Content = JsonContent.Create(new { create_request = new { key = B64(Root), range_end = B64(RangeEnd(Root)), start_revision = startRevision.ToString(System.Globalization.CultureInfo.InvariantCulture), progress_notify = true } }),
        };
        using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connect.CancelAfter(RequestTimeout);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, connect.Token);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        while (true)
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(WatchIdleTimeout);
            string? line;
            try
            {
                line = await reader.ReadLineAsync(idle.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException("The etcd watch was silent for too long.");
            }

            if (line is null)
            {
                return;
            }

            if (line.Contains("\"events\"", StringComparison.Ordinal))
            {
                await TryReloadAsync(cancellationToken);
            }
        }
    }

    private async Task<(List<(string Key, string Value)> Kvs, long Revision)> RangeAsync(string prefix, long? atRevision, CancellationToken cancellationToken)
    {
        object request = atRevision is { } at
            ? new { key = B64(prefix), range_end = B64(RangeEnd(prefix)), revision = at.ToString(System.Globalization.CultureInfo.InvariantCulture) }
            : new { key = B64(prefix), range_end = B64(RangeEnd(prefix)) };
        using var response = await _http.PostAsJsonAsync("/v3/kv/range", request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        var result = new List<(string, string)>();
        foreach (var kv in body?["kvs"]?.AsArray() ?? [])
        {
            var key = FromB64(kv!["key"]!.GetValue<string>());
            var value = kv["value"] is { } v ? FromB64(v.GetValue<string>()) : string.Empty;
            result.Add((key, value));
        }

        var revision = long.TryParse(body?["header"]?["revision"]?.GetValue<string>(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var r) ? r : 0;
        return (result, revision);
    }

    private bool SameAs(Dictionary<string, string?> data)
        => data.Count == Data.Count && data.All(kv => Data.TryGetValue(kv.Key, out var old) && old == kv.Value);

    private void Reachable(bool reachable, int keys)
    {
        lock (_lock)
        {
            if (_reachable == reachable)
            {
                return;
            }

            _reachable = reachable;
        }

        Log(
            reachable ? LogLevel.Information : LogLevel.Warning,
            reachable
                ? $"etcd is reachable again at {_http.BaseAddress}; its configuration is applied ({keys} keys)"
                : $"etcd is unreachable at {_http.BaseAddress}; running on the last configuration read from it ({keys} keys) until it is back");
    }

    private void Log(LogLevel level, string message)
    {
        lock (_lock)
        {
            if (_log is { } log)
            {
                log(level, message);
            }
            else
            {
                _pending.Add((level, message));
            }
        }
    }

    private static string RangeEnd(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);

    private static string B64(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));

    private static string FromB64(string value) => Encoding.UTF8.GetString(Convert.FromBase64String(value));
}

/// <summary>Gives the etcd provider the host's logger (it is built before logging exists).</summary>
internal sealed partial class EtcdConfigurationReporter(EtcdConfigurationSource source, ILogger<EtcdConfigurationProvider> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        source.AttachLogger((level, message) => LogEtcd(logger, level, message));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Message = "{Message}")]
    private static partial void LogEtcd(ILogger logger, LogLevel level, string message);
}
