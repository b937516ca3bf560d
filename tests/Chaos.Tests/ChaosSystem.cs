using System.Net;
using System.Net.Http.Json;
using System.Text;
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

    public DistributedApplication App => _app ?? throw new InvalidOperationException("Not started.");

    public HttpClient Gateway { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Program>();
        Configure(builder);
        _app = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await _app.StartAsync(timeout.Token);
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

    /// <summary>Adjusts the app model before it starts (e.g. a failpoint in one service).</summary>
    protected virtual void Configure(DistributedApplicationTestingBuilder builder)
    {
    }

    protected static ProjectResource Project(DistributedApplicationTestingBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return (ProjectResource)builder.Resources.Single(r => r.Name == name);
    }

    public async Task<string> RegisterPatronAsync(string tier = "researcher")
    {
        using var response = await Gateway.PostAsJsonAsync("/patrons", new { firstName = "Chaos", lastName = "Monkey", email = $"chaos.{Guid.NewGuid():N}@example.org", membershipTier = tier });
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }

    public async Task<string> AddBookAsync()
    {
        using var response = await Gateway.PostAsJsonAsync("/books", new { title = $"Chaos {Guid.NewGuid():N}", author = "Monkey" });
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }

    public async Task<string> BorrowAsync(string bookId, string patronId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/books/{bookId}/borrow")
        {
            Content = new StringContent($$"""{"patronId":"{{patronId}}"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var response = await Gateway.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return response.Headers.Location!.ToString();
    }

    /// <summary>Polls an operation until it reaches one of the states, failing after the deadline.</summary>
    public async Task<JsonObject> WaitForOperationAsync(string location, TimeSpan deadline, params string[] states)
    {
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            var operation = (await Gateway.GetFromJsonAsync<JsonObject>(location))!;
            if (states.Contains(operation["status"]!.GetValue<string>()))
            {
                return operation;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"{location} is still {operation["status"]} after {deadline.TotalSeconds} s.");
            }

            await Task.Delay(50);
        }
    }

    public async Task<JsonArray> LoansOfAsync(string patronId)
        => (await Gateway.GetFromJsonAsync<JsonObject>($"/loans?patronId={patronId}&limit=100"))!["items"]!.AsArray();
}
