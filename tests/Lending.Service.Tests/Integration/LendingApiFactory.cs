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

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (name, value) in servers.ConnectionStrings)
        {
            builder.UseSetting($"ConnectionStrings:{name}", value);
        }

        // Tests run the scheduled job themselves, at the fake time they choose.
        builder.UseSetting("Lending:OverdueSweepEnabled", "false");
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}
