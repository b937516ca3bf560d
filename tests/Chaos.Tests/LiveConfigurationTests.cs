using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Library.SharedKernel.Resources;
using Library.Testing;

namespace Library.Chaos.Tests;

/// <summary>SPEC §6: a value changed in etcd applies without a restart; etcd stopped → the last values stay in force.</summary>
public sealed class LiveConfigurationTests(ChaosSystem system)
{
    private const string Applied = "Configuration from etcd applied";
    private const string Unreachable = "etcd is unreachable at "; // the provider's warning, not the health check's description

    [Fact]
    public async Task RegularTierLimitChangedInEtcd_AppliesToTheNextBorrow_AndSurvivesAnEtcdOutage()
    {
        var applied = await CountAsync(Applied);
        await system.PutConfigurationAsync("/library/lending/Lending/Policy/Regular/MaxLoans", "3");
        await Poll.UntilAsync(async () => await CountAsync(Applied) > applied, TimeSpan.FromSeconds(10), "Lending to apply the new value");

        (await BorrowFourAsync()).ShouldBe(["borrowed", "borrowed", "borrowed", "released"]);

        // Other chaos tests of this system may have had etcd down before: count this outage's warnings only.
        var warnedBefore = await CountAsync(Unreachable);
        await system.App.StopResourceAsync(ResourceNames.Etcd);
        try
        {
            await Poll.UntilAsync(async () => await CountAsync(Unreachable) > warnedBefore, TimeSpan.FromSeconds(10), "Lending to notice etcd is gone");
            (await BorrowFourAsync()).ShouldBe(["borrowed", "borrowed", "borrowed", "released"], "the last value read from etcd stays in force");
            (await CountAsync(Unreachable)).ShouldBe(warnedBefore + 1, "one warning per outage, not one per retry");
            using var ready = await system.App.CreateHttpClient(ResourceNames.LendingApi).GetAsync("/health/ready");
            ready.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await ready.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>().ShouldBe("Degraded");
        }
        finally
        {
            await system.App.StartResourceAsync(ResourceNames.Etcd);
        }

        // Changes made while a service could not see etcd are read once it is back.
        applied = await CountAsync(Applied);
        await system.PutConfigurationAsync("/library/lending/Lending/Policy/Regular/MaxLoans", "5");
        await Poll.UntilAsync(async () => await CountAsync(Applied) > applied, TimeSpan.FromSeconds(20), "Lending to apply the value after the outage");
        (await BorrowFourAsync()).ShouldBe(["borrowed", "borrowed", "borrowed", "borrowed"]);
    }

    private Task<int> CountAsync(string text) => system.CountLogLinesAsync(ResourceNames.LendingApi, text);

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


}
