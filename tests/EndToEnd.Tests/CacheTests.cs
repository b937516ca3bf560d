using Library.Testing;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Library.SharedKernel.Resources;
using StackExchange.Redis;

namespace Library.EndToEnd.Tests;

/// <summary>SPEC §6: reads are served from Redis, and a client always reads its own writes.</summary>
public sealed class CacheTests(LibrarySystem system)
{
    private readonly HttpClient _gateway = system.Gateway;

    [Fact]
    public async Task GetBook_IsCachedInRedis()
    {
        var id = (await _gateway.AddBookAsync(Json.Unique("Cached")))["id"]!.GetValue<string>();
        (await _gateway.GetAsync($"/books/{id}")).StatusCode.ShouldBe(HttpStatusCode.OK);

        await using var redis = await ConnectionMultiplexer.ConnectAsync((await system.App.GetConnectionStringAsync(ResourceNames.Redis))!);
        var server = redis.GetServers().Single();
        server.Keys(pattern: $"catalog:book:{id}#*").ShouldNotBeEmpty();
    }

    [Fact]
    public async Task ABookList_ShowsABookAddedRightAfterItWasCached()
    {
        var marker = Guid.NewGuid().ToString("N");
        await _gateway.AddBookAsync($"First {marker}");
        (await _gateway.CountBooksTitledAsync(marker)).ShouldBe(1);
        (await _gateway.CountBooksTitledAsync(marker)).ShouldBe(1); // now from the cache

        await _gateway.AddBookAsync($"Second {marker}");

        (await _gateway.CountBooksTitledAsync(marker)).ShouldBe(2);
    }

    [Fact]
    public async Task ABook_ShowsItsReservationRightAfterTheBorrowWasAccepted()
    {
        var book = await _gateway.AddBookIdAsync();
        (await _gateway.GetFromJsonAsync<JsonObject>($"/books/{book}"))!["status"]!.GetValue<string>().ShouldBe("available");

        using var borrow = await _gateway.BorrowAsync(book, await _gateway.RegisterPatronIdAsync());
        borrow.StatusCode.ShouldBe(HttpStatusCode.Accepted);

        (await _gateway.GetFromJsonAsync<JsonObject>($"/books/{book}"))!["status"]!.GetValue<string>().ShouldBeOneOf("reserved", "borrowed");
    }
}
