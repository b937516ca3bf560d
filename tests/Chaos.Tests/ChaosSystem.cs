using System.Net;
using System.Text.Json.Nodes;
using Library.AppHost.Hosting;
using Library.AppHost.Hosting.Resources;
using Library.SharedKernel.Resources;
using Library.Testing;

// Tests here stop, kill and restart servers: one system per test class, and never two classes at once.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]

namespace Library.Chaos.Tests;

/// <summary>A whole system of its own for one chaos test class, built from the real AppHost's app model.</summary>
public abstract class ChaosSystem : IAsyncLifetime
{
    private DistributedApplication? _app;
    private TestPrincipal? _librarian;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("Not started.");

    public HttpClient Gateway { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Program>();
        Configure(builder);
        _app = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await _app.StartAsync(timeout.Token);
        var gateway = _app.GetEndpoint(ResourceNames.Gateway);
        using var admin = await GatewayClients.SignInAsAdminAsync(gateway);
        _librarian = await GatewayClients.NewStaffAsync(gateway, admin.Client);
        Gateway = _librarian.Client;
    }

    public async ValueTask DisposeAsync()
    {
        _librarian?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>Adjusts the app model before it starts (e.g. a failpoint in one service).</summary>
    protected virtual void Configure(DistributedApplicationTestingBuilder builder)
    {
    }

    protected static ProjectResource Project(DistributedApplicationTestingBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return (ProjectResource)builder.Resources.Single(r => r.Name == name);
    }

    // The saga's client steps, from the helpers the end-to-end tests use too.
    public Task<string> RegisterPatronAsync(string tier = "researcher") => Gateway.RegisterPatronIdAsync(tier);

    public Task<string> AddBookAsync() => Gateway.AddBookIdAsync();

    public async Task<string> BorrowAsync(string bookId, string patronId)
    {
        using var response = await Gateway.BorrowAsync(bookId, patronId);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return response.Headers.Location!.ToString();
    }

    public Task<JsonObject> WaitForOperationAsync(string location, TimeSpan deadline, params string[] states)
        => Gateway.WaitForOperationAsync(location, deadline, states);

    public Task<JsonArray> LoansOfAsync(string patronId) => Gateway.LoansOfAsync(patronId);
}
