using Library.AppHost.Hosting;
using Library.SharedKernel.Resources;
using Library.Testing;

[assembly: AssemblyFixture(typeof(Library.EndToEnd.Tests.LibrarySystem))]

namespace Library.EndToEnd.Tests;

/// <summary>
/// The whole system from the real AppHost's app model, started once for this test assembly (a full boot costs
/// ~10 s of CPU here). Tests make their own data with unique titles, so they run in any order and in parallel.
/// </summary>
public sealed class LibrarySystem : IAsyncLifetime
{
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The system is not started.");

    public HttpClient Gateway { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Program>();
        _app = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await _app.StartAsync(timeout.Token);
        await _app.WaitForResourceHealthyAsync(ResourceNames.Gateway, timeout.Token);
        Gateway = _app.CreateHttpClient(ResourceNames.Gateway);
    }

    public async ValueTask DisposeAsync()
    {
        Gateway?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
