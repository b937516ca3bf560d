using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Library.Testing;
using Npgsql;

namespace Library.Catalog.Tests.Integration;

/// <summary>
/// SPEC §4 and decision 0002 on a real borrow: every final answer is stored with its key (a problem too), and a
/// request holds no database transaction while it waits for another service (Patron's eligibility answer).
/// </summary>
[Collection(CatalogRelays.Name)]
public sealed class IdempotencyReceiptTests(CatalogServers servers) : IAsyncLifetime
{
    private readonly SlowPatron _patron = new();
    private CatalogApiFactory _factory = null!;
    private HttpClient _client = null!;

    public ValueTask InitializeAsync()
    {
        _factory = new CatalogApiFactory(servers);
        _client = _factory.CreateLibrarianClient(_patron, ("Catalog:EligibilityCache:Ttl", "00:00:00")); // every borrow asks Patron: the call is what is tested
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task WhileTheEligibilityCallIsInFlight_NoTransactionIsOpen_AndATwinWithTheKeyReplaysTheOneBorrow()
    {
        var book = await AddBookAsync();
        var key = Guid.NewGuid().ToString();
        _patron.Delay = TimeSpan.FromSeconds(2);

        var first = BorrowAsync(book, key);
        var twin = BorrowAsync(book, key);
        await Poll.UntilAsync(() => _patron.Calls >= 2, TimeSpan.FromSeconds(10), "both requests to be asking Patron");
        await Task.Delay(TimeSpan.FromSeconds(1)); // halfway through Patron's answer
        (await TransactionsIdleForAsync(TimeSpan.FromMilliseconds(800))).ShouldBe(0, "nothing holds a transaction (or a pooled connection) across the call to Patron");

        using var a = await first;
        using var b = await twin;
        new[] { a.StatusCode, b.StatusCode }.ShouldAllBe(s => s == HttpStatusCode.Accepted);
        (await a.Content.ReadAsStringAsync()).ShouldBe(await b.Content.ReadAsStringAsync());
        (await OperationsOfAsync(book)).ShouldBe(1);
    }

    [Fact]
    public async Task AProblemAnswer_IsStoredWithItsKey_SoARetryGetsIt_EvenOnceTheRequestWouldNowSucceed()
    {
        var book = await AddBookAsync();
        using (var taken = await BorrowAsync(book, Guid.NewGuid().ToString()))
        {
            taken.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        }

        var key = Guid.NewGuid().ToString();
        using (var refused = await BorrowAsync(book, key))
        {
            refused.StatusCode.ShouldBe(HttpStatusCode.Conflict);
            (await refused.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>().ShouldBe("book.unavailable");
        }

        // The first reservation goes away (as when Lending rejects it): the same borrow would now succeed.
        await ExecuteAsync($"DELETE FROM catalog.borrow_operations WHERE book_id = '{book}'; UPDATE catalog.books SET status = 'available', held_by = NULL WHERE id = '{book}'");

        using var retried = await BorrowAsync(book, key);
        retried.StatusCode.ShouldBe(HttpStatusCode.Conflict, "the key's answer was the 409");
        retried.Headers.GetValues("Idempotency-Replayed").ShouldBe(["true"]);
        (await retried.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>().ShouldBe("book.unavailable");
        (await OperationsOfAsync(book)).ShouldBe(0, "the replay changed nothing");
    }

    private async Task<string> AddBookAsync()
    {
        using var response = await _client.PostAsJsonAsync("/books", new { title = $"Receipts {Guid.NewGuid():N}", author = "Tester" });
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }

    private Task<HttpResponseMessage> BorrowAsync(string book, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/books/{book}/borrow") { Content = JsonContent.Create(new { patronId = _patron.PatronId }) };
        request.Headers.Add("Idempotency-Key", key);
        return _client.SendAsync(request);
    }

    /// <summary>Catalog's transactions that have waited, idle, for longer than <paramref name="idle"/> (other tests' are brief).</summary>
    private async Task<long> TransactionsIdleForAsync(TimeSpan idle)
    {
        await using var connection = new NpgsqlConnection(servers.CatalogDb);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE usename = 'catalog' AND state LIKE 'idle in transaction%' AND state_change < now() - @idle", connection);
        command.Parameters.AddWithValue("idle", idle);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<long> OperationsOfAsync(string book)
    {
        await using var connection = new NpgsqlConnection(servers.CatalogDb);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM catalog.borrow_operations WHERE book_id = '{book}'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(servers.CatalogDb);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Patron's eligibility endpoint, answering "may borrow" after a delay the test sets.</summary>
    private sealed class SlowPatron : HttpMessageHandler
    {
        private int _calls;

        public Guid PatronId { get; } = Guid.CreateVersion7();

        public TimeSpan Delay { get; set; } = TimeSpan.Zero;

        public int Calls => Volatile.Read(ref _calls);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            await Task.Delay(Delay, cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = JsonContent.Create(new { patronId = PatronId, email = "slow@example.org", membershipTier = "regular", suspended = false, version = 1 }),
            };
        }
    }
}
