using Library.AppHost.Hosting;
using Library.SharedKernel.Resources;
using Library.Testing;

[assembly: AssemblyFixture(typeof(Library.Patron.Tests.Integration.PatronServers))]

namespace Library.Patron.Tests.Integration;

/// <summary>The real servers Patron.Service needs, started once for this test assembly; the service runs in-process.</summary>
public sealed class PatronServers : IAsyncLifetime
{
    private DistributedApplication? _app;

    public IReadOnlyDictionary<string, string> ConnectionStrings { get; private set; } = new Dictionary<string, string>();

    public async ValueTask InitializeAsync()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        builder.Builder.AddPostgres(ResourceNames.Postgres).AddDatabase(ResourceNames.PatronDb, schema: "patron");
        builder.Builder.AddRedis(ResourceNames.Redis);
        builder.Builder.AddRabbitMQ(ResourceNames.EventBus);
        builder.Builder.AddEtcd(ResourceNames.Etcd);
        _app = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await _app.StartAsync(timeout.Token);
        var strings = new Dictionary<string, string>();
        foreach (var name in new[] { ResourceNames.PatronDb, ResourceNames.Redis, ResourceNames.EventBus, ResourceNames.Etcd })
        {
            strings[name] = (await _app.GetConnectionStringAsync(name))!;
        }

        ConnectionStrings = strings;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
