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

    /// <summary>A librarian's client of this service whose eligibility calls reach <paramref name="patron"/> instead of Patron.Service.</summary>
    public HttpClient CreateLibrarianClient(HttpMessageHandler patron, params (string Key, string Value)[] settings)
    {
        var client = WithWebHostBuilder(builder =>
        {
            builder.UseSetting("services:patron-api:http:0", "http://127.0.0.1:9");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureServices(services => services.AddHttpClient<Library.Catalog.Infrastructure.Patrons.PatronEligibilityClient>().ConfigurePrimaryHttpMessageHandler(() => patron));
        }).CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestTokens.Mint(LibraryRoles.Librarian));
        return client;
    }
}
