using System.Diagnostics;
using System.Net;
using Library.SharedKernel.Resources;
using Library.Testing;

namespace Library.Chaos.Tests;

/// <summary>
/// Issue 11 (found by the chaos run under load): a service that accepts connections but never answers (frozen, or
/// behind a proxy whose backend is gone) held Gateway requests for YARP's default 100 s. The Gateway gives up on a
/// silent upstream after its cluster's activity timeout (10 s for Lending) and answers 503 dependency.unavailable.
/// </summary>
public sealed class FrozenServiceTests(ChaosSystem system)
{
    private const int SIGSTOP = 19;
    private const int SIGCONT = 18;

    [Fact]
    public async Task AFrozenService_IsA503FromTheGatewayWithinSeconds_NotAHungRequest()
    {
        await system.App.SignalResourceAsync(ResourceNames.LendingApi, SIGSTOP);
        try
        {
            using var client = GatewayClients.Create(system.GatewayAddress, await system.SignInLibrarianAsync());
            client.Timeout = TimeSpan.FromSeconds(40);
            var clock = Stopwatch.StartNew();
            using var response = await client.GetAsync("/loans?limit=1");
            clock.Stop();

            response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            (await response.Content.ReadAsStringAsync()).ShouldContain("dependency.unavailable");
            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20), "the Gateway's upstream activity timeout (10 s) ends the wait");
        }
        finally
        {
            await system.App.SignalResourceAsync(ResourceNames.LendingApi, SIGCONT);
        }

        await Poll.UntilAsync(
            async () => (await system.Gateway.GetAsync("/loans?limit=1")).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30),
            "Lending to answer again once thawed");
    }
}
