using Library.AppHost.Hosting;
using Library.SharedKernel.Resources;

namespace Library.Testing;

/// <summary>
/// The real servers one service needs (PostgreSQL with its database and schema, Redis, RabbitMQ, etcd), started
/// once per test assembly by the testing builder, for a service under test in-process; subclass per service.
/// </summary>
public abstract class ServiceServers(string database, string schema) : IAsyncDisposable
{
    private DistributedApplication? _app;

    /// <summary>What the AppHost would pass the service: <c>ConnectionStrings:{name}</c> for each server.</summary>
    public IReadOnlyDictionary<string, string> ConnectionStrings { get; private set; } = new Dictionary<string, string>();

    public async ValueTask InitializeAsync()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        builder.Builder.AddPostgres(ResourceNames.Postgres).AddDatabase(database, schema);
        builder.Builder.AddRedis(ResourceNames.Redis);
        builder.Builder.AddRabbitMQ(ResourceNames.EventBus);
        builder.Builder.AddEtcd(ResourceNames.Etcd);
        _app = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await _app.StartAsync(timeout.Token);
        var strings = new Dictionary<string, string>();
        foreach (var name in new[] { database, ResourceNames.Redis, ResourceNames.EventBus, ResourceNames.Etcd })
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

        GC.SuppressFinalize(this);
    }
}
