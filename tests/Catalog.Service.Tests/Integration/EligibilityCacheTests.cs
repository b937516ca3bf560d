using System.Net;
using System.Net.Http.Json;
using Library.Catalog.Application.Borrowing;
using Library.SharedKernel.Caching;
using Library.SharedKernel.Contracts.Patron;
using Microsoft.Extensions.DependencyInjection;

namespace Library.Catalog.Tests.Integration;

/// <summary>Decision 0018: Catalog asks Patron about a patron once, until one of Patron's events about them.</summary>
[Collection(CatalogRelays.Name)]
public sealed class EligibilityCacheTests(CatalogServers servers) : IAsyncLifetime
{
    private readonly CountingPatron _patron = new();
    private CatalogApiFactory _factory = null!;
    private HttpClient _client = null!;

    public ValueTask InitializeAsync()
    {
        _factory = new CatalogApiFactory(servers);
        _client = _factory.CreateLibrarianClient(_patron);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task APatronsSecondBorrow_IsDecidedWithoutAskingPatron_AndAnEventAboutThemMakesTheNextOneAskAgain()
    {
        (await BorrowAsync()).ShouldBe(HttpStatusCode.Accepted);
        (await BorrowAsync()).ShouldBe(HttpStatusCode.Accepted);
        _patron.Calls.ShouldBe(1, "the second borrow used the remembered answer");

        // What the consumer does with Patron's event: the handler, then the flush after its commit.
        await using (var scope = _factory.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<PatronEventsHandler>()
                .HandleAsync(new PatronSuspended(_patron.PatronId, "counted@example.org", "regular", "test", 2), null!, CancellationToken.None);
            await scope.ServiceProvider.GetRequiredService<CacheInvalidations>().FlushAsync();
        }

        _patron.Suspended = true;
        (await BorrowAsync()).ShouldBe(HttpStatusCode.Forbidden, "the suspension Patron now reports");
        _patron.Calls.ShouldBe(2);
    }

    [Fact]
    public async Task AnUnknownPatron_IsAskedAboutEveryTime()
    {
        _patron.Known = false;
        (await BorrowAsync()).ShouldBe(HttpStatusCode.Forbidden);
        _patron.Known = true;
        (await BorrowAsync()).ShouldBe(HttpStatusCode.Accepted, "registered since: a refusal is not remembered");
        _patron.Calls.ShouldBe(2);
    }

    private async Task<HttpStatusCode> BorrowAsync()
    {
        using var added = await _client.PostAsJsonAsync("/books", new { title = $"Eligibility {Guid.NewGuid():N}", author = "Tester" });
        added.StatusCode.ShouldBe(HttpStatusCode.Created);
        var book = (await added.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["id"]!.GetValue<string>();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/books/{book}/borrow") { Content = JsonContent.Create(new { patronId = _patron.PatronId }) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var response = await _client.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>Patron's eligibility endpoint for one patron, counting the questions.</summary>
    private sealed class CountingPatron : HttpMessageHandler
    {
        private int _calls;

        public Guid PatronId { get; } = Guid.CreateVersion7();

        public bool Known { get; set; } = true;

        public bool Suspended { get; set; }

        public int Calls => Volatile.Read(ref _calls);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return Task.FromResult(Known
                ? new HttpResponseMessage(HttpStatusCode.OK)
                {
                    Content = JsonContent.Create(new { patronId = PatronId, email = "counted@example.org", membershipTier = "regular", suspended = Suspended, version = Suspended ? 2 : 1 }),
                }
                : new HttpResponseMessage(HttpStatusCode.NotFound));
        }
    }
}
