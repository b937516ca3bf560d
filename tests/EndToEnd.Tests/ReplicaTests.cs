using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Library.SharedKernel.Resources;
using Library.Testing;

namespace Library.EndToEnd.Tests;

/// <summary>
/// SPEC §6: a client reads its own writes although the Gateway balances its requests over two Catalog
/// instances (Aspire replicas behind one endpoint) sharing one Redis cache: each write invalidates what it
/// touched before it answers.
/// </summary>
public sealed class ReplicaTests(LibrarySystem system)
{
    [Fact]
    public async Task AWriteOnOneCatalogInstance_IsReadBackFromBoth_OnEveryRequest()
    {
        var instances = await system.App.InstanceEndpointsAsync(ResourceNames.CatalogApi);
        instances.Count.ShouldBe(2);
        var book = await system.Gateway.AddBookIdAsync();

        // Both instances serve and cache the book while it is available (read on each one directly).
        foreach (var instance in instances)
        {
            (await StatusOnAsync(instance, book)).ShouldBe("available");
            (await StatusOnAsync(instance, book)).ShouldBe("available");
        }

        // The borrow is a write on whichever instance the Gateway sends it to; from its 202 on, every read on
        // either instance, and through the Gateway, shows it.
        using var borrow = await system.Gateway.BorrowAsync(book, await system.Gateway.RegisterPatronIdAsync());
        borrow.StatusCode.ShouldBe(System.Net.HttpStatusCode.Accepted);
        foreach (var instance in instances)
        {
            (await StatusOnAsync(instance, book)).ShouldNotBe("available", $"a read on {instance} after the borrow");
        }

        var throughGateway = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ => (await system.Gateway.GetFromJsonAsync<JsonObject>($"/books/{book}"))!["status"]!.GetValue<string>()));
        throughGateway.ShouldAllBe(status => status != "available");
    }

    private static async Task<string> StatusOnAsync(Uri instance, string book)
    {
        using var client = new HttpClient { BaseAddress = instance };
        return (await client.GetFromJsonAsync<JsonObject>($"/books/{book}"))!["status"]!.GetValue<string>();
    }
}
