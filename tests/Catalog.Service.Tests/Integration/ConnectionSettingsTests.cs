using Library.Catalog.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Library.Catalog.Tests.Integration;

/// <summary>
/// The service's PostgreSQL connections as ServiceDefaults configures them (docs/benchmarks.md, issue 12): statements
/// prepared automatically, and no seven-statement session reset each time EF hands a connection back to the pool.
/// </summary>
[Collection(CatalogRelays.Name)]
public sealed class ConnectionSettingsTests(CatalogServers servers)
{
    [Fact]
    public async Task TheServicesConnections_PrepareStatements_AndAreNotResetWhenTheyGoBackToThePool()
    {
        await using var factory = new CatalogApiFactory(servers);
        await using var scope = factory.Services.CreateAsyncScope();
        var settings = new NpgsqlConnectionStringBuilder(scope.ServiceProvider.GetRequiredService<CatalogDbContext>().Database.GetConnectionString());

        settings.NoResetOnClose.ShouldBeTrue();
        settings.MaxAutoPrepare.ShouldBe(32);
        settings.Pooling.ShouldBeTrue();
    }
}
