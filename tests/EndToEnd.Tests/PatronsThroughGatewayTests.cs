using Library.Testing;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Library.EndToEnd.Tests;

public sealed class PatronsThroughGatewayTests(LibrarySystem system)
{
    private readonly HttpClient _gateway = system.Gateway;

    [Fact]
    public async Task RegisterPatron_Returns201WithLocationAndTheNormalisedPatron()
    {
        var email = $"Ada.{Guid.NewGuid():N}@Example.org";
        using var response = await _gateway.PostAsJsonAsync("/patrons", new { firstName = "  Ada ", lastName = "Lovelace", email = $" {email} " });

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var patron = await response.ReadObjectAsync();
        response.Headers.Location!.ToString().ShouldBe($"/patrons/{patron["id"]}");
        patron["firstName"]!.GetValue<string>().ShouldBe("Ada");
        patron["email"]!.GetValue<string>().ShouldBe(email.ToLowerInvariant());
        patron["membershipTier"]!.GetValue<string>().ShouldBe("regular");
        patron["suspended"]!.GetValue<bool>().ShouldBeFalse();
        patron["suspendedReason"].ShouldBeNull();
        patron["registeredAt"]!.GetValue<string>().ShouldMatch(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$");

        var read = await _gateway.GetStringAsync(response.Headers.Location);
        read.ShouldBe(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RegisterPatron_WithAnEmailAlreadyTakenInAnyCase_Is409()
    {
        var email = $"taken.{Guid.NewGuid():N}@example.org";
        (await _gateway.RegisterPatronAsync(email: email))["id"].ShouldNotBeNull();

        using var response = await _gateway.PostAsJsonAsync("/patrons", new { firstName = "B", lastName = "C", email = email.ToUpperInvariant() });

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await response.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe("patron.email_taken");
    }

    [Theory]
    [InlineData("""{"firstName":"","lastName":"L","email":"a@example.org"}""", "firstName")]
    [InlineData("""{"firstName":"F","lastName":"L","email":"not-an-email"}""", "email")]
    [InlineData("""{"firstName":"F","lastName":"L","email":"a@example.org","membershipTier":"gold"}""", "membershipTier")]
    [InlineData("""{"firstName":"F","lastName":"L"}""", "email")]
    public async Task RegisterPatron_WithBadInput_Is400NamingTheField(string body, string field)
    {
        using var response = await _gateway.PostAsync("/patrons", Json.Body(body));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await response.ReadObjectAsync();
        problem["code"]!.GetValue<string>().ShouldBe("validation.failed");
        problem["errors"]![field].ShouldNotBeNull();
    }

    [Fact]
    public async Task SuspendReinstateAndUpgrade_FollowTheRules()
    {
        var id = (await _gateway.RegisterPatronAsync())["id"]!.GetValue<string>();

        (await PostAsync($"/patrons/{id}/suspend", """{"reason":""}""")).Status.ShouldBe(HttpStatusCode.BadRequest);

        var suspended = await PostAsync($"/patrons/{id}/suspend", """{"reason":"Lost three books"}""");
        suspended.Status.ShouldBe(HttpStatusCode.OK);
        suspended.Body["suspended"]!.GetValue<bool>().ShouldBeTrue();
        suspended.Body["suspendedReason"]!.GetValue<string>().ShouldBe("Lost three books");

        var again = await PostAsync($"/patrons/{id}/suspend", """{"reason":"Again"}""");
        again.Status.ShouldBe(HttpStatusCode.Conflict);
        again.Body["code"]!.GetValue<string>().ShouldBe("patron.already_suspended");

        var reinstated = await PostAsync($"/patrons/{id}/reinstate", "{}");
        reinstated.Status.ShouldBe(HttpStatusCode.OK);
        reinstated.Body["suspendedReason"].ShouldBeNull();
        (await PostAsync($"/patrons/{id}/reinstate", "{}")).Body["code"]!.GetValue<string>().ShouldBe("patron.not_suspended");

        (await PostAsync($"/patrons/{id}/upgrade-tier", """{"membershipTier":"premium"}""")).Body["membershipTier"]!.GetValue<string>().ShouldBe("premium");
        var down = await PostAsync($"/patrons/{id}/upgrade-tier", """{"membershipTier":"regular"}""");
        down.Status.ShouldBe(HttpStatusCode.Conflict);
        down.Body["code"]!.GetValue<string>().ShouldBe("patron.tier_not_higher");
    }

    [Theory]
    [InlineData("suspend", """{"reason":"x"}""")]
    [InlineData("reinstate", "{}")]
    [InlineData("upgrade-tier", """{"membershipTier":"premium"}""")]
    public async Task ChangingAnUnknownPatron_Is404(string action, string body)
    {
        var result = await PostAsync($"/patrons/{Guid.CreateVersion7()}/{action}", body);
        result.Status.ShouldBe(HttpStatusCode.NotFound);
        result.Body["code"]!.GetValue<string>().ShouldBe("patron.not_found");
    }

    [Fact]
    public async Task ListPatrons_FiltersByTierAndSuspension()
    {
        var researchers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            researchers.Add((await _gateway.RegisterPatronAsync(tier: "researcher"))["id"]!.GetValue<string>());
        }

        await PostAsync($"/patrons/{researchers[0]}/suspend", """{"reason":"Overdue"}""");

        var seen = new List<JsonNode>();
        string? cursor = null;
        for (var pages = 0; pages < 200; pages++)
        {
            var page = await _gateway.GetFromJsonAsync<JsonObject>("/patrons?tier=researcher&suspended=false&limit=50" + (cursor is null ? string.Empty : $"&cursor={cursor}"));
            seen.AddRange(page!["items"]!.AsArray()!);
            cursor = page["nextCursor"]?.GetValue<string>();
            if (cursor is null)
            {
                break;
            }
        }

        seen.ShouldAllBe(p => p!["membershipTier"]!.GetValue<string>() == "researcher" && !p["suspended"]!.GetValue<bool>());
        var ids = seen.Select(p => p!["id"]!.GetValue<string>()).ToList();
        ids.ShouldContain(researchers[1]);
        ids.ShouldContain(researchers[2]);
        ids.ShouldNotContain(researchers[0]);
    }

    [Theory]
    [InlineData("/patrons?tier=gold")]
    [InlineData("/patrons?suspended=maybe")]
    [InlineData("/patrons/not-a-uuid")]
    public async Task ListOrGet_WithBadParameters_Is400(string url)
    {
        using var response = await _gateway.GetAsync(url);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task EligibilityCheck_IsNotExposedByTheGateway()
    {
        var id = (await _gateway.RegisterPatronAsync())["id"]!.GetValue<string>();
        using var response = await _gateway.GetAsync($"/patrons/{id}/eligibility");
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(string url, string body)
    {
        using var response = await _gateway.PostAsync(url, Json.Body(body));
        return (response.StatusCode, await response.ReadObjectAsync());
    }
}
