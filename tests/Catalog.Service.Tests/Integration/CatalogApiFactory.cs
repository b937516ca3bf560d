using Library.Catalog.Infrastructure.Persistence;
using Library.SharedKernel.Security;
using Library.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Library.Catalog.Tests.Integration;

/// <summary>Catalog.Service in-process, configured exactly as the AppHost configures it, with a controllable clock.</summary>
public sealed class CatalogApiFactory(CatalogServers servers) : WebApplicationFactory<CatalogDbContext>
{
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (name, value) in servers.ConnectionStrings)
        {
            builder.UseSetting($"ConnectionStrings:{name}", value);
        }

        // Tests run the scheduled job themselves, at the fake time they choose.
        builder.UseSetting("Catalog:ReaperEnabled", "false");
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton<ISigningKeyStore, TestTokens.Store>();
        });
    }
}
