using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Library.SharedKernel.Resources;
using Library.Testing;
using StackExchange.Redis;

namespace Library.Chaos.Tests;

/// <summary>SPEC §6: Redis down → every read still answers from PostgreSQL, no 5xx; health says degraded.</summary>
public sealed class RedisOutageTests(ChaosSystem system)
{
    [Fact]
    public async Task WithRedisStopped_ReadsAndWritesKeepWorking_AndTheCacheIsUsedAgainOnceItIsBack()
    {
        var marker = Guid.NewGuid().ToString("N");
        var book = await AddBookAsync($"Outage {marker}");
        (await system.Gateway.GetAsync($"/books/{book}")).StatusCode.ShouldBe(HttpStatusCode.OK);

        await system.App.StopResourceAsync(ResourceNames.Redis);
        try
        {
            for (var i = 0; i < 30; i++)
            {
                using var read = await system.Gateway.GetAsync($"/books/{book}");
                read.StatusCode.ShouldBe(HttpStatusCode.OK);
                using var list = await system.Gateway.GetAsync($"/books?title={marker}");
                list.StatusCode.ShouldBe(HttpStatusCode.OK);
            }

            await AddBookAsync($"Second {marker}");
            (await ListAsync(marker)).Count.ShouldBe(2);
            var ready = await system.Gateway.GetAsync("/health/ready");
            ready.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await ready.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>().ShouldBe("Degraded");
            await Poll.UntilAsync(
                async () =>
                {
                    (await system.Gateway.GetAsync($"/books/{book}")).StatusCode.ShouldBe(HttpStatusCode.OK);
                    return await RedisBreakerAsync() == "open";
                },
                TimeSpan.FromSeconds(15),
                "Catalog's redis breaker to open");
        }
        finally
        {
            await system.App.StartResourceAsync(ResourceNames.Redis);
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync((await system.App.GetConnectionStringAsync(ResourceNames.Redis))!);
        var server = redis.GetServers().Single();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!server.Keys(pattern: $"catalog:book:{book}#*").Any() && DateTime.UtcNow < deadline)
        {
            (await system.Gateway.GetAsync($"/books/{book}")).StatusCode.ShouldBe(HttpStatusCode.OK);
            await Task.Delay(200);
        }

        server.Keys(pattern: $"catalog:book:{book}#*").ShouldNotBeEmpty("reads should be cached again once Redis is back");
        (await RedisBreakerAsync()).ShouldBe("closed");
        (await ListAsync(marker)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task WithRedisStopped_ARevokedTokenStaysRevoked_TokensStillWork_AndLimitsHoldPerInstance()
    {
        var gateway = system.App.GetEndpoint(ResourceNames.Gateway);
        using var patron = await GatewayClients.NewPatronAsync(gateway);
        using var revoked = await GatewayClients.SignInAsync(gateway, patron.Email, patron.Password, patron.PatronId);
        using var loggedOutDuringOutage = await GatewayClients.SignInAsync(gateway, patron.Email, patron.Password, patron.PatronId);
        (await revoked.Client.PostAsync("/auth/logout", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await system.App.StopResourceAsync(ResourceNames.Redis);
        try
        {
            // The in-memory copy of the deny-list decides while Redis is away, at the Gateway and in the services.
            (await revoked.Client.GetAsync($"/patrons/{patron.PatronId}")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            using (var direct = new HttpClient { BaseAddress = system.App.GetEndpoint(ResourceNames.LendingApi) })
            {
                direct.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", revoked.AccessToken);
                (await direct.GetAsync("/loans")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            }

            (await patron.Client.GetAsync($"/patrons/{patron.PatronId}")).StatusCode.ShouldBe(HttpStatusCode.OK);
            using (var fresh = await GatewayClients.SignInAsync(gateway, patron.Email, patron.Password, patron.PatronId))
            {
                (await fresh.Client.GetAsync("/loans")).StatusCode.ShouldBe(HttpStatusCode.OK);
            }

            // Login stays limited: counted in the Gateway's own memory until Redis is back.
            using var client = GatewayClients.Create(gateway);
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 6; i++)
            {
                using var login = await client.PostAsJsonAsync("/auth/login", new { email = patron.Email, password = "Wrong-password-1" });
                statuses.Add(login.StatusCode);
            }

            statuses[5].ShouldBe(HttpStatusCode.TooManyRequests);
            using var ready = await system.Gateway.GetAsync("/health/ready");
            (await ready.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>().ShouldBe("Degraded");

            // A logout while Redis is away is known to Patron only, until Redis is back (below).
            (await loggedOutDuringOutage.Client.PostAsync("/auth/logout", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
            (await loggedOutDuringOutage.Client.GetAsync($"/patrons/{patron.PatronId}")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

            // Patron crashes before Redis is back: the logout is in its database, so it is neither forgotten nor let through.
            await system.App.KillResourceAsync(ResourceNames.PatronApi);
            await system.App.StartResourceAsync(ResourceNames.PatronApi, Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded);
            (await loggedOutDuringOutage.Client.GetAsync($"/patrons/{patron.PatronId}")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "Patron reloads the unshared revocation at start");
            await system.App.StartResourceAsync(ResourceNames.Redis);

            // Once Redis is back the revocation is shared: Lending (behind /loans) and the Gateway deny it too.
            await Poll.UntilAsync(
                async () => (await loggedOutDuringOutage.Client.GetAsync("/loans")).StatusCode == HttpStatusCode.Unauthorized,
                TimeSpan.FromSeconds(20),
                "the logout made during the outage (and kept across Patron's restart) to reach every service");
        }
        finally
        {
            if (await system.App.StateOfAsync(ResourceNames.Redis) != "Running")
            {
                await system.App.StartResourceAsync(ResourceNames.Redis);
            }
        }
    }

    private async Task<string> RedisBreakerAsync()
    {
        using var catalog = system.App.CreateHttpClient(ResourceNames.CatalogApi);
        var circuits = await catalog.GetFromJsonAsync<JsonObject>("/health/circuits");
        return circuits!["circuits"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "redis")!["state"]!.GetValue<string>();
    }

    private async Task<string> AddBookAsync(string title)
    {
        using var response = await system.Gateway.PostAsJsonAsync("/books", new { title, author = "Outage" });
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }

    private async Task<JsonArray> ListAsync(string marker)
        => (await system.Gateway.GetFromJsonAsync<JsonObject>($"/books?title={marker}"))!["items"]!.AsArray();
}
