using Library.AppHost.Hosting;
using Library.SharedKernel.Resources;
using Library.Testing;

[assembly: AssemblyFixture(typeof(Library.Catalog.Tests.Integration.CatalogServers))]

namespace Library.Catalog.Tests.Integration;

/// <summary>
/// The real servers Catalog.Service needs (PostgreSQL with catalogdb, Redis, RabbitMQ, etcd), started once for
/// this test assembly by the testing builder; the service itself runs in-process so tests can control its clock.
/// </summary>
public sealed class CatalogServers : IAsyncLifetime
{
    private DistributedApplication? _app;

    public string CatalogDb { get; private set; } = string.Empty;

    public IReadOnlyDictionary<string, string> ConnectionStrings { get; private set; } = new Dictionary<string, string>();

    public async ValueTask InitializeAsync()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        builder.Builder.AddPostgres(ResourceNames.Postgres).AddDatabase(ResourceNames.CatalogDb, schema: "catalog");
        builder.Builder.AddRedis(ResourceNames.Redis);
        builder.Builder.AddRabbitMQ(ResourceNames.EventBus);
        builder.Builder.AddEtcd(ResourceNames.Etcd);
        _app = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await _app.StartAsync(timeout.Token);

        var strings = new Dictionary<string, string>();
        foreach (var name in new[] { ResourceNames.CatalogDb, ResourceNames.Redis, ResourceNames.EventBus, ResourceNames.Etcd })
        {
            strings[name] = (await _app.GetConnectionStringAsync(name))!;
        }

        ConnectionStrings = strings;
        CatalogDb = strings[ResourceNames.CatalogDb];
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
