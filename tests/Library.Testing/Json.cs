using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Library.Testing;

/// <summary>
/// The gateway API as the tests use it: JSON bodies, unique data, and the borrow saga's polling helpers.
/// Shared by the end-to-end and chaos tests.
/// </summary>
public static class Json
{
    public static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonObject> ReadObjectAsync(this HttpResponseMessage response)
        => (JsonNode.Parse(await response.Content.ReadAsStringAsync()) as JsonObject) ?? throw new JsonException("Not a JSON object.");

    public static string Unique(string prefix) => $"{prefix} {Guid.NewGuid():N}";

    public static async Task<JsonObject> AddBookAsync(this HttpClient client, string title, string author = "Ursula K. Le Guin", string? isbn = null)
    {
        using var response = await client.PostAsJsonAsync("/books", new { title, author, isbn });
        await EnsureStatusAsync(response, System.Net.HttpStatusCode.Created);
        return await response.ReadObjectAsync();
    }

    public static async Task<JsonObject> RegisterPatronAsync(this HttpClient client, string? email = null, string tier = "regular")
    {
        using var response = await client.PostAsJsonAsync("/patrons", new { firstName = "Grace", lastName = "Hopper", email = email ?? $"grace.{Guid.NewGuid():N}@example.org", membershipTier = tier });
        await EnsureStatusAsync(response, System.Net.HttpStatusCode.Created);
        return await response.ReadObjectAsync();
    }

    public static async Task<string> RegisterPatronIdAsync(this HttpClient client, string tier = "regular")
        => (await client.RegisterPatronAsync(tier: tier))["id"]!.GetValue<string>();

    public static async Task<string> AddBookIdAsync(this HttpClient client)
        => (await client.AddBookAsync(Unique("Saga")))["id"]!.GetValue<string>();

    public static Task<HttpResponseMessage> BorrowAsync(this HttpClient client, string bookId, string patronId)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/books/{bookId}/borrow") { Content = Body($$"""{"patronId":"{{patronId}}"}""") };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        return client.SendAsync(request);
    }

    public static async Task<(System.Net.HttpStatusCode Status, JsonObject Body)> PostWithKeyAsync(this HttpClient client, string url, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = Body(body) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.ReadObjectAsync());
    }

    /// <summary>Polls a borrow operation until it reaches one of the states (deadline 20 s): never a fixed sleep.</summary>
    public static Task<JsonObject> WaitForOperationAsync(this HttpClient client, string location, params string[] states)
        => client.WaitForOperationAsync(location, TimeSpan.FromSeconds(20), states);

    public static async Task<JsonObject> WaitForOperationAsync(this HttpClient client, string location, TimeSpan within, params string[] states)
    {
        ArgumentNullException.ThrowIfNull(states);
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var operation = (await client.GetFromJsonAsync<JsonObject>(location))!;
            if (states.Contains(operation["status"]!.GetValue<string>()))
            {
                return operation;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{location} is still {operation["status"]} after {within.TotalSeconds} s; expected {string.Join(" or ", states)}.");
            }

            await Task.Delay(25);
        }
    }

    public static async Task<JsonObject> BorrowAndWaitAsync(this HttpClient client, string bookId, string patronId, params string[] states)
    {
        using var response = await client.BorrowAsync(bookId, patronId);
        await EnsureStatusAsync(response, System.Net.HttpStatusCode.Accepted);
        return await client.WaitForOperationAsync(response.Headers.Location!.ToString(), states);
    }

    /// <summary>
    /// Polls a book until it shows the status. A change made by an event handler reaches the cache a moment after
    /// its commit (the handler's own borrow operation may already show it), so this is eventual by design.
    /// </summary>
    public static async Task<JsonObject> WaitForBookStatusAsync(this HttpClient client, string bookId, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var book = (await client.GetFromJsonAsync<JsonObject>($"/books/{bookId}"))!;
            if (book["status"]!.GetValue<string>() == status || DateTime.UtcNow > deadline)
            {
                return book;
            }

            await Task.Delay(20);
        }
    }

    /// <summary>How many books carry the marker in their title: proves what a failed request did not write.</summary>
    public static async Task<int> CountBooksTitledAsync(this HttpClient client, string marker)
    {
        var page = await client.GetFromJsonAsync<JsonObject>($"/books?title={Uri.EscapeDataString(marker)}&limit=100");
        return page!["items"]!.AsArray().Count;
    }

    public static async Task<JsonArray> LoansOfAsync(this HttpClient client, string patronId)
        => (await client.GetFromJsonAsync<JsonObject>($"/loans?patronId={patronId}&limit=100"))!["items"]!.AsArray();

    private static async Task EnsureStatusAsync(HttpResponseMessage response, System.Net.HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            throw new HttpRequestException($"Expected {(int)expected}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}
