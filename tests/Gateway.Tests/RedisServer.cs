using Library.AppHost.Hosting;
using Library.SharedKernel.Resources;
using Library.Testing;

[assembly: AssemblyFixture(typeof(Library.Gateway.Tests.RedisServer))]

namespace Library.Gateway.Tests;

/// <summary>One real Redis for this test assembly: what two Gateway instances share their counters through.</summary>
public sealed class RedisServer : IAsyncLifetime
{
    private DistributedApplication? _app;

    public string ConnectionString { get; private set; } = string.Empty;

    public async ValueTask InitializeAsync()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        builder.Builder.AddRedis(ResourceNames.Redis);
        _app = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await _app.StartAsync(timeout.Token);
        ConnectionString = (await _app.GetConnectionStringAsync(ResourceNames.Redis))!;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
