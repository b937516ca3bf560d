using System.Collections.Concurrent;
using Library.Patron.Infrastructure.Persistence;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Library.Patron.Tests.Integration;

/// <summary>Patron.Service in-process as the AppHost configures it, with a controllable clock and every log line kept.</summary>
public sealed class PatronApiFactory(PatronServers servers, DateTimeOffset? start = null) : WebApplicationFactory<PatronDbContext>
{
    public const string AdminEmail = "root@library.test";

    public static readonly string AdminPassword = $"Root{Guid.NewGuid():N}5";

    public FakeTimeProvider Clock { get; } = new(start ?? DateTimeOffset.UtcNow);

    public ConcurrentQueue<string> LogLines { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (name, value) in servers.ConnectionStrings)
        {
            builder.UseSetting($"ConnectionStrings:{name}", value);
        }

        builder.UseSetting("Bootstrap:AdminEmail", AdminEmail);
        builder.UseSetting("Bootstrap:AdminPassword", AdminPassword);
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new CollectingLoggerProvider(LogLines)));
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    private sealed class CollectingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CollectingLogger(categoryName, lines);

        public void Dispose()
        {
        }
    }

    private sealed class CollectingLogger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            lines.Enqueue($"{category}: {formatter(state, exception)} {exception}");
        }
    }
}
