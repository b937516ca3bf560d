using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Library.Patron.Application.Accounts;
using Library.Patron.Infrastructure.Persistence;
using Library.Patron.Infrastructure.Security;
using Library.SharedKernel.Security;
using Library.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Library.Patron.Tests.Integration;

/// <summary>Sign-up, sign-in, lockout and token validity against real PostgreSQL and Redis, on a fake clock.</summary>
public sealed class AccountsTests(PatronServers servers) : IAsyncLifetime
{
    private readonly PatronApiFactory _factory = new(servers);
    private HttpClient _client = null!;

    public ValueTask InitializeAsync()
    {
        _client = _factory.CreateClient();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task FiveFailedLogins_LockTheAccountFor15Minutes_EvenAgainstTheRightPassword()
    {
        var (email, password) = await RegisterAsync();
        for (var i = 0; i < 5; i++)
        {
            (await LoginAsync(email, "Wrong-password-1")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        using (var locked = await LoginAsync(email, password))
        {
            locked.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            (await locked.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>().ShouldBe("auth.invalid_credentials");
        }

        _factory.Clock.Advance(TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(1));
        (await LoginAsync(email, password)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        _factory.Clock.Advance(TimeSpan.FromSeconds(2));
        (await LoginAsync(email, password)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task WrongPasswordsSentAllAtOnce_AreEachCounted_AndLockTheAccount()
    {
        var (email, password) = await RegisterAsync();

        // Twelve guesses in parallel: every one must be counted (no lost update lets a burst slip past the lockout).
        var guesses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => LoginAsync(email, "Wrong-password-1")));
        guesses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Unauthorized || r.StatusCode == HttpStatusCode.Conflict);

        (await LoginAsync(email, password)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "the account is locked");
    }

    [Fact]
    public async Task ASuccessfulLogin_StartsTheFailureCountAgain()
    {
        var (email, password) = await RegisterAsync();
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 4; i++)
            {
                (await LoginAsync(email, "Wrong-password-1")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            }

            (await LoginAsync(email, password)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }
    }

    [Theory]
    [InlineData("short1")]
    [InlineData("onlyletters")]
    [InlineData("1234567890")]
    [InlineData("")]
    [InlineData(null)]
    public async Task Register_WithAPasswordOutsideThePolicy_Is400OnPassword_AndCreatesNothing(string? password)
    {
        var email = $"policy.{Guid.NewGuid():N}@example.org";
        using var response = await _client.PostAsJsonAsync("/auth/register", new { email, password, firstName = "P", lastName = "Q" });

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        problem["code"]!.GetValue<string>().ShouldBe("validation.failed");
        problem["errors"]!["password"]!.AsArray().Count.ShouldBeGreaterThan(0);
        await using var scope = _factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PatronDbContext>();
        (await db.Accounts.AnyAsync(a => a.Email == email)).ShouldBeFalse();
        (await db.Patrons.AnyAsync(p => p.Email == email)).ShouldBeFalse();
    }

    [Fact]
    public async Task Register_WithA129CharacterPassword_Is400()
    {
        using var response = await _client.PostAsJsonAsync("/auth/register", new { email = $"long.{Guid.NewGuid():N}@example.org", password = new string('a', 128) + "1", firstName = "P", lastName = "Q" });
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AnAccessToken_IsRejectedOnceExpired_AndBeforeItIsValid()
    {
        // Tokens are issued on the service's (fake) clock and judged on the real one.
        var now = DateTimeOffset.UtcNow;
        await using var factory = new PatronApiFactory(servers, start: now - TimeSpan.FromMinutes(16));
        using var client = factory.CreateClient();
        var (email, password) = await RegisterAsync(client);

        var expired = await AccessTokenAsync(client, email, password);
        factory.Clock.SetUtcNow(now);
        var current = await AccessTokenAsync(client, email, password);
        factory.Clock.SetUtcNow(now + TimeSpan.FromMinutes(5));
        var notYetValid = await AccessTokenAsync(client, email, password);

        (await OwnRecordStatusAsync(expired)).ShouldBe(HttpStatusCode.Unauthorized);
        (await OwnRecordStatusAsync(notYetValid)).ShouldBe(HttpStatusCode.Unauthorized);
        (await OwnRecordStatusAsync(current)).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ATokenSignedWithOurKey_ButWithAnotherIssuerOrAudience_IsRejected()
    {
        var credentials = await _factory.Services.GetRequiredService<SigningKeyRing>().GetSigningCredentialsAsync(CancellationToken.None);

        (await ListPatronsStatusAsync(TestTokens.Mint(LibraryRoles.Admin, key: credentials.Key))).ShouldBe(HttpStatusCode.OK);
        (await ListPatronsStatusAsync(TestTokens.Mint(LibraryRoles.Admin, issuer: "someone-else", key: credentials.Key))).ShouldBe(HttpStatusCode.Unauthorized);
        (await ListPatronsStatusAsync(TestTokens.Mint(LibraryRoles.Admin, audience: "another-api", key: credentials.Key))).ShouldBe(HttpStatusCode.Unauthorized);
        (await ListPatronsStatusAsync(TestTokens.Mint(LibraryRoles.Admin))).ShouldBe(HttpStatusCode.Unauthorized); // a key that is not ours
    }

    [Fact]
    public async Task TheSigningKey_IsRotatedOnceItIs30DaysOld_AndTheOldKeyStaysPublishedForItsTokens()
    {
        var (email, password) = await RegisterAsync();
        var before = KidOf(await AccessTokenAsync(email, password));

        _factory.Clock.Advance(TimeSpan.FromDays(30) + TimeSpan.FromMinutes(1));
        var after = KidOf(await AccessTokenAsync(email, password));
        var again = KidOf(await AccessTokenAsync(email, password));

        after.ShouldNotBe(before);
        again.ShouldBe(after, "one rotation, not one per sign-in");
        var jwks = await _client.GetFromJsonAsync<JsonObject>("/.well-known/jwks.json");
        var kids = jwks!["keys"]!.AsArray().Select(k => k!["kid"]!.GetValue<string>()).ToList();
        kids.ShouldContain(before);
        kids.ShouldContain(after);
    }

    private static string KidOf(string token)
    {
        var header = token.Split('.')[0].Replace('-', '+').Replace('_', '/');
        header += new string('=', (4 - (header.Length % 4)) % 4);
        return JsonNode.Parse(Convert.FromBase64String(header))!["kid"]!.GetValue<string>();
    }

    [Fact]
    public async Task TheBootstrapAdmin_IsCreatedOnce_AndMayCreateStaff()
    {
        await AdminBootstrap.RunAsync(_factory.Services);
        await using (var scope = _factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PatronDbContext>();
            (await db.Accounts.CountAsync(a => a.Role == LibraryRoles.Admin && a.Email == PatronApiFactory.AdminEmail)).ShouldBe(1);
        }

        var admin = await AccessTokenAsync(PatronApiFactory.AdminEmail, PatronApiFactory.AdminPassword);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/staff")
        {
            Content = JsonContent.Create(new { email = $"desk.{Guid.NewGuid():N}@library.test", password = "Desk-pass-1", firstName = "D", lastName = "K", role = "librarian" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
        using var response = await _client.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var staff = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        staff["role"]!.GetValue<string>().ShouldBe("librarian");
        staff.ContainsKey("passwordHash").ShouldBeFalse();
    }

    [Fact]
    public async Task NoPasswordTokenOrConnectionStringPassword_IsEverWrittenToTheLog()
    {
        var (email, password) = await RegisterAsync();
        (await LoginAsync(email, "Wrong-but-secret-9")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using var login = await LoginAsync(email, password);
        var pair = (await login.Content.ReadFromJsonAsync<JsonObject>())!;
        using var refresh = await _client.PostAsJsonAsync("/auth/refresh", new { refreshToken = pair["refreshToken"]!.GetValue<string>() });
        var rotated = (await refresh.Content.ReadFromJsonAsync<JsonObject>())!;
        using var logout = new HttpRequestMessage(HttpMethod.Post, "/auth/logout");
        logout.Headers.Authorization = new AuthenticationHeaderValue("Bearer", rotated["accessToken"]!.GetValue<string>());
        (await _client.SendAsync(logout)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await OwnRecordStatusAsync(rotated["accessToken"]!.GetValue<string>())).ShouldBe(HttpStatusCode.Unauthorized);
        await AdminBootstrap.RunAsync(_factory.Services);

        var secrets = new List<string>
        {
            password, "Wrong-but-secret-9", PatronApiFactory.AdminPassword,
            pair["accessToken"]!.GetValue<string>(), pair["refreshToken"]!.GetValue<string>(),
            rotated["accessToken"]!.GetValue<string>(), rotated["refreshToken"]!.GetValue<string>(),
            new NpgsqlConnectionStringBuilder(servers.ConnectionStrings["patrondb"]).Password!,
        };
        var redisPassword = servers.ConnectionStrings["redis"].Split(',').Select(p => p.Trim()).FirstOrDefault(p => p.StartsWith("password=", StringComparison.OrdinalIgnoreCase))?["password=".Length..];
        if (redisPassword is { Length: > 0 })
        {
            secrets.Add(redisPassword);
        }

        _factory.LogLines.Count.ShouldBeGreaterThan(0);
        foreach (var line in _factory.LogLines)
        {
            foreach (var secret in secrets)
            {
                line.ShouldNotContain(secret, Case.Sensitive, "a secret was logged");
            }
        }
    }

    private Task<(string Email, string Password)> RegisterAsync() => RegisterAsync(_client);

    private static async Task<(string Email, string Password)> RegisterAsync(HttpClient client)
    {
        var email = $"acct.{Guid.NewGuid():N}@example.org";
        var password = $"Pw{Guid.NewGuid():N}3";
        using var response = await client.PostAsJsonAsync("/auth/register", new { email, password, firstName = "Acc", lastName = "Ount" });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (email, password);
    }

    private Task<HttpResponseMessage> LoginAsync(string email, string password) => _client.PostAsJsonAsync("/auth/login", new { email, password });

    private Task<string> AccessTokenAsync(string email, string password) => AccessTokenAsync(_client, email, password);

    private static async Task<string> AccessTokenAsync(HttpClient client, string email, string password)
    {
        using var response = await client.PostAsJsonAsync("/auth/login", new { email, password });
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
    }

    /// <summary>The librarian-only patron list: 200 for staff, 401 for a token that does not validate.</summary>
    private Task<HttpStatusCode> ListPatronsStatusAsync(string token) => StatusAsync(token, "/patrons?limit=1");

    /// <summary>The patron's own record, readable with their own valid token.</summary>
    private Task<HttpStatusCode> OwnRecordStatusAsync(string token) => StatusAsync(token, $"/patrons/{SubjectPatron(token)}");

    private async Task<HttpStatusCode> StatusAsync(string token, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _client.SendAsync(request);
        return response.StatusCode;
    }

    private static string SubjectPatron(string token)
    {
        var payload = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload += new string('=', (4 - (payload.Length % 4)) % 4);
        return JsonNode.Parse(Convert.FromBase64String(payload))!["patron_id"]!.GetValue<string>();
    }
}
