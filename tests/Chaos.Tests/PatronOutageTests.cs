using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Library.SharedKernel.Resources;
using Library.Testing;

namespace Library.Chaos.Tests;

/// <summary>SPEC §6: a dependency that fails opens its breaker; the caller degrades (503 at once, Degraded readiness) instead of breaking.</summary>
public sealed class PatronOutageTests(ChaosSystem system)
{
    [Fact]
    public async Task WithPatronDown_TheCatalogToPatronBreakerOpens_BorrowsAnswer503_AndItClosesOncePatronIsBack()
    {
        var catalog = system.App.CreateHttpClient(ResourceNames.CatalogApi);
        var patron = await system.RegisterPatronAsync();
        await system.BorrowAsync(await system.AddBookAsync(), patron);

        // Catalog remembers the answer about a patron who borrowed (decision 0018); one who never did must ask Patron.
        var unasked = await system.RegisterPatronAsync();
        (await CircuitAsync(catalog, ResourceNames.PatronApi))!["state"]!.GetValue<string>().ShouldBe("closed");

        await system.App.StopResourceAsync(ResourceNames.PatronApi);
        try
        {
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 8; i++)
            {
                using var response = await system.Gateway.BorrowAsync(await system.AddBookAsync(), unasked);
                statuses.Add(response.StatusCode);
                response.StatusCode.ShouldNotBe(HttpStatusCode.InternalServerError);
            }

            statuses.ShouldAllBe(s => s == HttpStatusCode.ServiceUnavailable);
            var circuit = (await CircuitAsync(catalog, ResourceNames.PatronApi))!;
            circuit["state"]!.GetValue<string>().ShouldBe("open");
            circuit["rejected"]!.GetValue<long>().ShouldBeGreaterThan(0);
            circuit["settings"]!["minimumThroughput"]!.GetValue<int>().ShouldBe(3);
            using var ready = await catalog.GetAsync("/health/ready");
            ready.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await ready.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>().ShouldBe("Degraded");

            // The gateway stays in rotation (its own readiness is its own), and tells operators which service is down.
            using var gatewayReady = await system.Gateway.GetAsync("/health/ready");
            gatewayReady.StatusCode.ShouldBe(HttpStatusCode.OK);
            using var gatewayHealth = await system.Gateway.GetAsync("/health");
            gatewayHealth.StatusCode.ShouldBe(HttpStatusCode.OK, "Degraded answers 200");
            var report = (await gatewayHealth.Content.ReadFromJsonAsync<JsonObject>())!;
            report["status"]!.GetValue<string>().ShouldBe("Degraded");
            report["checks"]![ResourceNames.PatronApi]!.GetValue<string>().ShouldBe("Degraded");
            report["checks"]![ResourceNames.CatalogApi]!.GetValue<string>().ShouldBe("Healthy");
        }
        finally
        {
            await system.App.StartResourceAsync(ResourceNames.PatronApi);
        }

        // Past the break duration a probe goes through, succeeds, and the breaker closes.
        await Poll.UntilAsync(
            async () =>
            {
                using var response = await system.Gateway.BorrowAsync(await system.AddBookAsync(), unasked);
                return response.StatusCode == HttpStatusCode.Accepted;
            },
            TimeSpan.FromSeconds(30),
            "a borrow to be accepted again");
        (await CircuitAsync(catalog, ResourceNames.PatronApi))!["state"]!.GetValue<string>().ShouldBe("closed");
    }

    private static async Task<JsonObject?> CircuitAsync(HttpClient service, string name)
    {
        var circuits = await service.GetFromJsonAsync<JsonObject>("/health/circuits");
        return circuits!["circuits"]!.AsArray().Select(c => c!.AsObject()).FirstOrDefault(c => c["name"]!.GetValue<string>() == name);
    }
}
