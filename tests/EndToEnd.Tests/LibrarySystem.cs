using Aspire.Hosting;
using Library.SharedKernel.Resources;
using Library.Testing;

[assembly: AssemblyFixture(typeof(Library.EndToEnd.Tests.LibrarySystem))]

namespace Library.EndToEnd.Tests;

/// <summary>
/// The whole system from the real AppHost's app model under Aspire.Hosting.Testing, started once for this test
/// assembly (a start and stop costs tens of seconds of CPU here), with two Gateways and two Catalog instances, and
/// every service's telemetry sent to an OTLP receiver of the test's own. Tests make their own data with unique
/// titles and e-mails, so they run in any order and in parallel.
/// </summary>
public sealed class LibrarySystem : IAsyncLifetime
{
    public const string SecondGateway = "gateway-2";

    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The system is not started.");

    /// <summary>What every service exported (traces), as the dashboard would have received it.</summary>
    public OtlpReceiver Telemetry { get; } = new();

    /// <summary>The Gateway as a librarian: what most tests act as (staff name the patron they act for).</summary>
    public HttpClient Gateway { get; private set; } = null!;

    public Uri GatewayAddress { get; private set; } = null!;

    /// <summary>A second Gateway on the same Redis (rate limits and revocations are shared).</summary>
    public Uri SecondGatewayAddress { get; private set; } = null!;

    public TestPrincipal Admin { get; private set; } = null!;

    public TestPrincipal Librarian { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Telemetry.StartAsync();
        _app = await TestSystem.StartAsync(
        [
            "--Replicas:gateway=2", "--Replicas:catalog-api=2",
            $"--Telemetry:Endpoint={Telemetry.Endpoint}", "--Telemetry:Protocol=http/protobuf",
        ]);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
        {
            await _app.ResourceNotifications.WaitForResourceHealthyAsync(SecondGateway, timeout.Token);
        }

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
            await _app.ShutDownAsync();
        }

        await Telemetry.DisposeAsync();
    }
}
