using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Library.SharedKernel.Resources;

namespace Library.Testing;

/// <summary>
/// The servers a service needs (PostgreSQL with the contexts' databases, Redis, RabbitMQ, etcd), taken from the real
/// AppHost's app model and started once per test assembly by Aspire.Hosting.Testing, for a service under test
/// in-process; subclass per service (an assembly fixture).
/// </summary>
public abstract class AppHostServers(params string[] servers) : IAsyncDisposable
{
    private DistributedApplication? _app;

    protected AppHostServers()
        : this(ResourceNames.Postgres, ResourceNames.Redis, ResourceNames.EventBus, ResourceNames.Etcd)
    {
    }

    /// <summary>What the AppHost would pass the service: <c>ConnectionStrings:{name}</c> for each server and database.</summary>
    public IReadOnlyDictionary<string, string> ConnectionStrings { get; private set; } = new Dictionary<string, string>();

    public DistributedApplication App => _app ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync()
    {
        _app = await TestSystem.StartServersAsync(servers);
        var strings = new Dictionary<string, string>();
        foreach (var name in new[] { ResourceNames.CatalogDb, ResourceNames.LendingDb, ResourceNames.PatronDb, ResourceNames.Redis, ResourceNames.EventBus, ResourceNames.Etcd })
        {
            if (_app.Resources().Any(r => r.Name == name))
            {
                strings[name] = (await _app.GetConnectionStringAsync(name))!;
            }
        }

        ConnectionStrings = strings;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.ShutDownAsync();
        }

        GC.SuppressFinalize(this);
    }
}
