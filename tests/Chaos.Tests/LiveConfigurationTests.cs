using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Library.SharedKernel.Resources;
using Library.Testing;

namespace Library.Chaos.Tests;

public sealed class LiveConfigurationSystem : ChaosSystem;

/// <summary>SPEC §6: a value changed in etcd applies without a restart; etcd stopped → the last values stay in force.</summary>
public sealed class LiveConfigurationTests(LiveConfigurationSystem system) : IClassFixture<LiveConfigurationSystem>
{
    private const string Applied = "Configuration from etcd applied";
    private const string Unreachable = "etcd is unreachable";

    [Fact]
    public async Task RegularTierLimitChangedInEtcd_AppliesToTheNextBorrow_AndSurvivesAnEtcdOutage()
    {
        var etcd = new Uri((await system.App.GetConnectionStringAsync(ResourceNames.Etcd))!);
        var applied = Count(Applied);
        await PutAsync(etcd, "/library/lending/Lending/Policy/Regular/MaxLoans", "3");
        await Poll.UntilAsync(() => Count(Applied) > applied, TimeSpan.FromSeconds(10), "Lending to apply the new value");

        (await BorrowFourAsync()).ShouldBe(["borrowed", "borrowed", "borrowed", "released"]);

        await system.App.StopResourceAsync(ResourceNames.Etcd);
        try
        {
            await Poll.UntilAsync(() => Count(Unreachable) > 0, TimeSpan.FromSeconds(10), "Lending to notice etcd is gone");
            (await BorrowFourAsync()).ShouldBe(["borrowed", "borrowed", "borrowed", "released"], "the last value read from etcd stays in force");
            Count(Unreachable).ShouldBe(1, "one warning per outage, not one per retry");
            using var ready = await system.App.CreateHttpClient(ResourceNames.LendingApi).GetAsync("/health/ready");
            ready.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await ready.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>().ShouldBe("Degraded");
        }
        finally
        {
            await system.App.StartResourceAsync(ResourceNames.Etcd);
        }

        // Changes made while a service could not see etcd are read once it is back.
        applied = Count(Applied);
        await PutAsync(etcd, "/library/lending/Lending/Policy/Regular/MaxLoans", "5");
        await Poll.UntilAsync(() => Count(Applied) > applied, TimeSpan.FromSeconds(20), "Lending to apply the value after the outage");
        (await BorrowFourAsync()).ShouldBe(["borrowed", "borrowed", "borrowed", "borrowed"]);
    }

    private int Count(string text) => system.App.GetLogs(ResourceNames.LendingApi).Count(line => line.Contains(text, StringComparison.Ordinal));

    private async Task<string[]> BorrowFourAsync()
    {
        var patron = await system.RegisterPatronAsync("regular");
        var statuses = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var operation = await system.WaitForOperationAsync(await system.BorrowAsync(await system.AddBookAsync(), patron), TimeSpan.FromSeconds(20), "borrowed", "released");
            statuses.Add(operation["status"]!.GetValue<string>());
        }

        return [.. statuses];
    }

    private static async Task PutAsync(Uri etcd, string key, string value)
    {
        using var http = new HttpClient { BaseAddress = etcd };
        using var response = await http.PostAsJsonAsync("/v3/kv/put", new { key = B64(key), value = B64(value) });
        response.EnsureSuccessStatusCode();
    }

    private static string B64(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));
}
