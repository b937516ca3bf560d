using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Library.EndToEnd.Tests;

internal static class Json
{
    public static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonObject> ReadObjectAsync(this HttpResponseMessage response)
        => (JsonNode.Parse(await response.Content.ReadAsStringAsync()) as JsonObject) ?? throw new JsonException("Not a JSON object.");

    public static string Unique(string prefix) => $"{prefix} {Guid.NewGuid():N}";

    public static async Task<JsonObject> AddBookAsync(this HttpClient client, string title, string author = "Ursula K. Le Guin", string? isbn = null)
    {
        using var response = await client.PostAsJsonAsync("/books", new { title, author, isbn });
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.ReadObjectAsync();
    }

    public static async Task<JsonObject> RegisterPatronAsync(this HttpClient client, string? email = null, string tier = "regular")
    {
        using var response = await client.PostAsJsonAsync("/patrons", new { firstName = "Grace", lastName = "Hopper", email = email ?? $"grace.{Guid.NewGuid():N}@example.org", membershipTier = tier });
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.ReadObjectAsync();
    }

    /// <summary>How many books carry the marker in their title: proves what a failed request did not write.</summary>
    public static async Task<int> CountBooksTitledAsync(this HttpClient client, string marker)
    {
        var page = await client.GetFromJsonAsync<JsonObject>($"/books?title={Uri.EscapeDataString(marker)}&limit=100");
        return page!["items"]!.AsArray().Count;
    }
}
