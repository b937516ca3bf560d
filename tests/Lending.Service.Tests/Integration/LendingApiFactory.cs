using Library.Lending.Infrastructure.Persistence;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Library.Lending.Tests.Integration;

/// <summary>Lending.Service in-process, configured as the AppHost configures it, with a controllable clock.</summary>
public sealed class LendingApiFactory(LendingServers servers) : WebApplicationFactory<LendingDbContext>
{
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

    /// <summary>Runs on the real clock instead of <see cref="Clock"/> (for tests of retries and backoff).</summary>
    public bool SystemClock { get; init; }

    /// <summary>Settings on top of the AppHost's.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>Services on top of the service's own (fault injection).</summary>
    public Action<IServiceCollection>? ConfigureTestServices { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (name, value) in servers.ConnectionStrings)
        {
            builder.UseSetting($"ConnectionStrings:{name}", value);
        }

        // Tests run the scheduled job themselves, at the fake time they choose.
        builder.UseSetting("Lending:OverdueSweepEnabled", "false");
        foreach (var (name, value) in Settings)
        {
            builder.UseSetting(name, value);
        }

        builder.ConfigureServices(services =>
        {
            services.AddSingleton<TimeProvider>(SystemClock ? TimeProvider.System : Clock);
            ConfigureTestServices?.Invoke(services);
        });
    }
}
