using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Library.SharedKernel.Resources;
using Library.Testing;

// Tests here stop, kill and restart servers and services of one shared system: never two at once, and each
// test puts back what it broke (a start per test class would cost tens of seconds of CPU each).
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]
[assembly: AssemblyFixture(typeof(Library.Chaos.Tests.ChaosSystem))]

namespace Library.Chaos.Tests;

/// <summary>
/// The whole system from the real AppHost's app model for the chaos tests, with short breaker thresholds for
/// Catalog → Patron and a reaper that looks every half second (configuration, as an operator would set them). Faults come from Aspire's resource commands
/// (stop, start), from SIGKILL of the processes Aspire reports, and from documented <c>Failpoints:*</c> settings
/// put into etcd (live configuration) for the one test that needs them.
/// </summary>
public sealed class ChaosSystem : IAsyncLifetime
{
    private DistributedApplication? _app;
    private TestPrincipal? _librarian;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("Not started.");

    public HttpClient Gateway { get; private set; } = null!;

    public const string SecondGateway = $"{ResourceNames.Gateway}-2";

    public Uri GatewayAddress => App.GetEndpoint(ResourceNames.Gateway);

    /// <summary>The second of two Gateways (same Redis, same services): one of them can be killed while clients go on.</summary>
    public Uri SecondGatewayAddress => App.GetEndpoint(SecondGateway);

    /// <summary>A fresh access token of the librarian (valid 15 minutes), for a client of its own.</summary>
    public async Task<string> SignInLibrarianAsync()
    {
        var librarian = _librarian ?? throw new InvalidOperationException("Not started.");
        using var again = await GatewayClients.SignInAsync(GatewayAddress, librarian.Email, librarian.Password);
        return again.AccessToken;
    }

    public async ValueTask InitializeAsync()
    {
        _app = await TestSystem.StartAsync(
        [
            "--Replicas:gateway=2",
            "--ServiceEnvironment:catalog-api:Resilience__Breakers__patron-api__MinimumThroughput=3",
            "--ServiceEnvironment:catalog-api:Resilience__Breakers__patron-api__BreakDuration=00:00:02",
            "--ServiceEnvironment:catalog-api:Catalog__ReaperInterval=00:00:00.500",
        ]);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
        {
            await _app.ResourceNotifications.WaitForResourceHealthyAsync(SecondGateway, timeout.Token);
        }

        using var admin = await GatewayClients.SignInAsAdminAsync(GatewayAddress);
        _librarian = await GatewayClients.NewStaffAsync(GatewayAddress, admin.Client);
        Gateway = _librarian.Client;
    }

    public async ValueTask DisposeAsync()
    {
        _librarian?.Dispose();
        if (_app is not null)
        {
            await _app.ShutDownAsync();
        }
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

    /// <summary>Puts a live configuration key into etcd (e.g. <c>/library/catalog/Catalog/ReservationTtl</c>).</summary>
    public async Task PutConfigurationAsync(string key, string value)
    {
        using var http = new HttpClient { BaseAddress = new Uri((await App.GetConnectionStringAsync(ResourceNames.Etcd))!) };
        using var response = await http.PostAsJsonAsync("/v3/kv/put", new { key = B64(key), value = B64(value) });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Removes a live configuration key from etcd (the service falls back to its appsettings).</summary>
    public async Task DeleteConfigurationAsync(string key)
    {
        using var http = new HttpClient { BaseAddress = new Uri((await App.GetConnectionStringAsync(ResourceNames.Etcd))!) };
        using var response = await http.PostAsJsonAsync("/v3/kv/deleterange", new { key = B64(key) });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>How many console lines of the resource contain the text.</summary>
    public async Task<int> CountLogLinesAsync(string resource, string text)
        => (await App.LogsOfAsync(resource)).Count(line => line.Contains(text, StringComparison.Ordinal));

    /// <summary>
    /// What the services logged for each request they could not answer (the problem handler's "Unhandled
    /// exception", with the lines of its stack that follow): the cause behind a 500 the clients saw.
    /// </summary>
    public async Task<string> UnhandledExceptionsAsync()
    {
        var text = new StringBuilder();
        foreach (var resource in App.Resources().OfType<Aspire.Hosting.ApplicationModel.ProjectResource>())
        {
            var lines = await App.LogsOfAsync(resource.Name);
            for (var i = 0; i < lines.Count; i++)
            {
                if (lines[i].Contains("Unhandled exception", StringComparison.Ordinal))
                {
                    text.AppendLine($"{resource.Name}:");
                    foreach (var line in lines.Skip(i).Take(30))
                    {
                        text.AppendLine("  " + line);
                    }
                }
            }
        }

        return text.Length == 0 ? "(no service logged an unhandled exception)" : text.ToString();
    }

    private static string B64(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));
}
