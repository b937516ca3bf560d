using System.Net;
using System.Net.Http.Json;
using Library.Testing;

namespace Library.EndToEnd.Tests;

/// <summary>
/// The per-IP limits with their default values (login 5/min, register 3/min), shared by two Gateway instances
/// through Redis. Each test signs in from its own loopback address, so it owns its budget.
/// </summary>
public sealed class RateLimitTests(LibrarySystem system)
{
    [Fact]
    public async Task Login_IsLimitedTo5PerMinutePerIp_AcrossBothGateways_With429RetryAfterAndAProblem()
    {
        var address = GatewayClients.NextClientAddress();
        using var first = GatewayClients.Create(system.GatewayAddress, source: address);
        using var second = GatewayClients.Create(system.SecondGatewayAddress, source: address);
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 6; i++)
        {
            last?.Dispose();
            last = await (i % 2 == 0 ? first : second).PostAsJsonAsync("/auth/login", new { email = "nobody@example.org", password = "Wrong-password-1" });
            statuses.Add(last.StatusCode);
        }

        statuses.Take(5).ShouldAllBe(s => s == HttpStatusCode.Unauthorized);
        statuses[5].ShouldBe(HttpStatusCode.TooManyRequests);
        int.Parse(last!.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture).ShouldBeInRange(1, 60);
        var problem = await last.ReadObjectAsync();
        problem["code"]!.GetValue<string>().ShouldBe("rate_limit.exceeded");
        problem["status"]!.GetValue<int>().ShouldBe(429);
        last.Dispose();

        // Another client is not affected.
        using var other = system.Anonymous();
        using var response = await other.PostAsJsonAsync("/auth/login", new { email = "nobody@example.org", password = "Wrong-password-1" });
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Register_IsLimitedTo3PerMinutePerIp_AndTheRefusedRegistrationCreatesNothing()
    {
        var address = GatewayClients.NextClientAddress();
        using var first = GatewayClients.Create(system.GatewayAddress, source: address);
        using var second = GatewayClients.Create(system.SecondGatewayAddress, source: address);
        var emails = Enumerable.Range(0, 4).Select(_ => $"limited.{Guid.NewGuid():N}@example.org").ToList();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await (i % 2 == 0 ? first : second).PostAsJsonAsync("/auth/register", new { email = emails[i], password = "Limited-pass-1", firstName = "L", lastName = "M" });
            statuses.Add(response.StatusCode);
        }

        statuses.ShouldBe([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests]);
        var patrons = await system.Gateway.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/patrons?limit=100");
        patrons.ShouldNotBeNull();
        using var login = await system.Anonymous().PostAsJsonAsync("/auth/login", new { email = emails[3], password = "Limited-pass-1" });
        login.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task XForwardedFor_FromAClientThatIsNotAKnownProxy_DoesNotBuyANewBudget()
    {
        using var client = GatewayClients.Create(system.GatewayAddress);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/login") { Content = JsonContent.Create(new { email = "nobody@example.org", password = "Wrong-password-1" }) };
            request.Headers.Add("X-Forwarded-For", $"203.0.113.{i + 1}");
            using var response = await client.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        statuses[5].ShouldBe(HttpStatusCode.TooManyRequests);
    }
}
