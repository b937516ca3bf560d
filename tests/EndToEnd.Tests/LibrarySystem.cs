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

    /// <summary>The Gateway as a librarian: what most tests act as (staff name the patron they act for).</summary>
    public HttpClient Gateway { get; private set; } = null!;

    public Uri GatewayAddress { get; private set; } = null!;

    /// <summary>A second Gateway instance on the same Redis (rate limits and revocations are shared).</summary>
    public Uri SecondGatewayAddress { get; private set; } = null!;

    public TestPrincipal Admin { get; private set; } = null!;

    public TestPrincipal Librarian { get; private set; } = null!;

    public const string SecondGateway = "gateway-2";

    /// <summary>A second Catalog instance: the Gateway balances over both (read-your-writes must hold across them).</summary>
    public const string SecondCatalog = "catalog-api-2";

    public async ValueTask InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Program>();
        builder.Builder.AddReplica(ResourceNames.Gateway, SecondGateway);
        builder.Builder.AddReplica(ResourceNames.CatalogApi, SecondCatalog);
        _app = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await _app.StartAsync(timeout.Token);
        await _app.WaitForResourceHealthyAsync(ResourceNames.Gateway, timeout.Token);
        GatewayAddress = _app.GetEndpoint(ResourceNames.Gateway);
        SecondGatewayAddress = _app.GetEndpoint(SecondGateway);
        Admin = await GatewayClients.SignInAsAdminAsync(GatewayAddress);
        Librarian = await GatewayClients.NewStaffAsync(GatewayAddress, Admin.Client);
        Gateway = Librarian.Client;
    }

    public HttpClient Anonymous() => GatewayClients.Create(GatewayAddress);

    public Task<TestPrincipal> NewPatronAsync() => GatewayClients.NewPatronAsync(GatewayAddress);

    public async ValueTask DisposeAsync()
    {
        Librarian?.Dispose();
        Admin?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
