using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Library.SharedKernel.Resources;
using Library.Testing;

namespace Library.EndToEnd.Tests;

/// <summary>
/// SPEC §6: a client reads its own writes although the Gateway balances its requests over two Catalog
/// instances sharing one Redis cache: each write invalidates what it touched before it answers.
/// </summary>
public sealed class ReplicaTests(LibrarySystem system)
{
    [Fact]
    public async Task AWriteOnOneCatalogInstance_IsReadBackFromBoth_OnEveryRequest()
    {
        var before = await RedisCallsOfAsync(LibrarySystem.SecondCatalog);
        var book = await system.Gateway.AddBookIdAsync();
        for (var i = 0; i < 10; i++)
        {
            // Both instances serve and cache the book while it is available.
            (await system.Gateway.GetFromJsonAsync<JsonObject>($"/books/{book}"))!["status"]!.GetValue<string>().ShouldBe("available");
        }

        // The borrow is a write on whichever instance receives it; from its 202 on, every read shows it.
        using var borrow = await system.Gateway.BorrowAsync(book, await system.Gateway.RegisterPatronIdAsync());
        borrow.StatusCode.ShouldBe(System.Net.HttpStatusCode.Accepted);
        for (var i = 0; i < 10; i++)
        {
            (await system.Gateway.GetFromJsonAsync<JsonObject>($"/books/{book}"))!["status"]!.GetValue<string>().ShouldNotBe("available", $"read {i} after the borrow");
        }

        (await RedisCallsOfAsync(LibrarySystem.SecondCatalog)).ShouldBeGreaterThan(before, "the second instance served some of the reads");
        (await RedisCallsOfAsync(ResourceNames.CatalogApi)).ShouldBeGreaterThan(0);
    }

    private async Task<long> RedisCallsOfAsync(string instance)
    {
        using var client = new HttpClient { BaseAddress = system.App.GetEndpoint(instance) };
        var circuits = await client.GetFromJsonAsync<JsonObject>("/health/circuits");
        var redis = circuits!["circuits"]!.AsArray().FirstOrDefault(c => c!["name"]!.GetValue<string>() == "redis");
        return redis?["successes"]!.GetValue<long>() ?? 0;
    }
}
