using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Library.SharedKernel.Resources;
using Library.Testing;

namespace Library.EndToEnd.Tests;

/// <summary>Access and refresh tokens as an attacker and a careless client would use them, through the Gateway.</summary>
public sealed class TokenTests(LibrarySystem system)
{
    [Fact]
    public async Task AValidAccessToken_IsAcceptedByTheGatewayAndByEveryService()
    {
        using var patron = await system.NewPatronAsync();
        await ExpectAsync(system.GatewayAddress, patron.AccessToken, $"/patrons/{patron.PatronId}", HttpStatusCode.OK);
        await ExpectAsync(system.App.GetEndpoint(ResourceNames.PatronApi), patron.AccessToken, $"/patrons/{patron.PatronId}", HttpStatusCode.OK);
        await ExpectAsync(system.App.GetEndpoint(ResourceNames.LendingApi), patron.AccessToken, "/loans", HttpStatusCode.OK);
        await ExpectAsync(system.App.GetEndpoint(ResourceNames.CatalogApi), patron.AccessToken, $"/borrow-operations/{Guid.CreateVersion7()}", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ATokenWithATamperedPayload_Is401WithAProblemBody()
    {
        using var patron = await system.NewPatronAsync();
        var parts = patron.AccessToken.Split('.');
        var payload = JsonNode.Parse(Base64Url(parts[1]))!.AsObject();
        payload["roles"] = new JsonArray("admin");
        var forged = $"{parts[0]}.{ToBase64Url(payload.ToJsonString())}.{parts[2]}";

        using var client = GatewayClients.Create(system.GatewayAddress, forged);
        using var response = await client.GetAsync("/patrons?limit=1");

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await response.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe("auth.unauthenticated");
    }

    [Fact]
    public async Task ATokenWithATamperedSignature_Is401()
    {
        using var patron = await system.NewPatronAsync();
        var parts = patron.AccessToken.Split('.');
        var signature = parts[2].ToCharArray();
        signature[10] = signature[10] == 'A' ? 'B' : 'A';
        await ExpectAsync(system.GatewayAddress, $"{parts[0]}.{parts[1]}.{new string(signature)}", $"/patrons/{patron.PatronId}", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ATokenNamingAnUnknownKid_Is401()
    {
        using var patron = await system.NewPatronAsync();
        var parts = patron.AccessToken.Split('.');
        var header = JsonNode.Parse(Base64Url(parts[0]))!.AsObject();
        header["kid"] = "not-a-key-of-ours";
        await ExpectAsync(system.GatewayAddress, $"{ToBase64Url(header.ToJsonString())}.{parts[1]}.{parts[2]}", $"/patrons/{patron.PatronId}", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AnUnsignedTokenWithAlgNone_Is401AtTheGatewayAndTheService()
    {
        using var patron = await system.NewPatronAsync();
        var parts = patron.AccessToken.Split('.');
        var header = ToBase64Url("""{"alg":"none","typ":"at+jwt"}""");
        var payload = JsonNode.Parse(Base64Url(parts[1]))!.AsObject();
        payload["roles"] = new JsonArray("admin");
        var unsigned = $"{header}.{ToBase64Url(payload.ToJsonString())}.";

        await ExpectAsync(system.GatewayAddress, unsigned, "/patrons?limit=1", HttpStatusCode.Unauthorized);
        await ExpectAsync(system.App.GetEndpoint(ResourceNames.PatronApi), unsigned, "/patrons?limit=1", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ARefreshToken_IsNeverAcceptedAsAnAccessToken()
    {
        using var patron = await system.NewPatronAsync();
        await ExpectAsync(system.GatewayAddress, patron.RefreshToken, $"/patrons/{patron.PatronId}", HttpStatusCode.Unauthorized);
        await ExpectAsync(system.App.GetEndpoint(ResourceNames.PatronApi), patron.RefreshToken, $"/patrons/{patron.PatronId}", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Refresh_RotatesTheToken_AndTheOldOneStopsWorking()
    {
        using var patron = await system.NewPatronAsync();
        using var anonymous = system.Anonymous();

        using var first = await anonymous.PostAsJsonAsync("/auth/refresh", new { refreshToken = patron.RefreshToken });
        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        var pair = await first.ReadObjectAsync();
        pair["tokenType"]!.GetValue<string>().ShouldBe("Bearer");
        pair["expiresIn"]!.GetValue<int>().ShouldBe(900);
        pair["refreshToken"]!.GetValue<string>().ShouldNotBe(patron.RefreshToken);
        await ExpectAsync(system.GatewayAddress, pair["accessToken"]!.GetValue<string>(), $"/patrons/{patron.PatronId}", HttpStatusCode.OK);

        // The client moves on with its new token; from then on the old one is refused (a retry of the old one
        // within the 5 s reuse grace, before the new one was used, would have been answered: RefreshRotationTests).
        using var second = await anonymous.PostAsJsonAsync("/auth/refresh", new { refreshToken = pair["refreshToken"]!.GetValue<string>() });
        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var again = await anonymous.PostAsJsonAsync("/auth/refresh", new { refreshToken = patron.RefreshToken });
        again.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await again.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe("auth.invalid_refresh_token");
    }

    [Fact]
    public async Task ReusingARotatedRefreshToken_RevokesTheWholeFamily_IncludingItsAccessTokens()
    {
        using var patron = await system.NewPatronAsync();
        using var anonymous = system.Anonymous();
        using var rotated = await anonymous.PostAsJsonAsync("/auth/refresh", new { refreshToken = patron.RefreshToken });
        var first = await rotated.ReadObjectAsync();
        using var rotatedAgain = await anonymous.PostAsJsonAsync("/auth/refresh", new { refreshToken = first["refreshToken"]!.GetValue<string>() });
        var current = await rotatedAgain.ReadObjectAsync();

        // The stolen, already-rotated token is presented after its owner moved on: the thief and the owner both lose the session.
        using var reuse = await anonymous.PostAsJsonAsync("/auth/refresh", new { refreshToken = patron.RefreshToken });
        reuse.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        using var next = await anonymous.PostAsJsonAsync("/auth/refresh", new { refreshToken = current["refreshToken"]!.GetValue<string>() });
        next.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await ExpectAsync(system.GatewayAddress, current["accessToken"]!.GetValue<string>(), $"/patrons/{patron.PatronId}", HttpStatusCode.Unauthorized);
        await ExpectAsync(system.GatewayAddress, patron.AccessToken, $"/patrons/{patron.PatronId}", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Logout_DeniesTheAccessTokenOnEveryGatewayAndService_AndRevokesTheRefreshToken()
    {
        using var patron = await system.NewPatronAsync();
        using var other = await GatewayClients.SignInAsync(system.GatewayAddress, patron.Email, patron.Password);

        using var logout = await patron.Client.PostAsync("/auth/logout", null);
        logout.StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await ExpectAsync(system.GatewayAddress, patron.AccessToken, $"/patrons/{patron.PatronId}", HttpStatusCode.Unauthorized);
        await ExpectAsync(system.SecondGatewayAddress, patron.AccessToken, $"/patrons/{patron.PatronId}", HttpStatusCode.Unauthorized);
        await ExpectAsync(system.App.GetEndpoint(ResourceNames.LendingApi), patron.AccessToken, "/loans", HttpStatusCode.Unauthorized);
        using var anonymous = system.Anonymous();
        using var refresh = await anonymous.PostAsJsonAsync("/auth/refresh", new { refreshToken = patron.RefreshToken });
        refresh.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        // Another session of the same account is not affected.
        await ExpectAsync(system.GatewayAddress, other.AccessToken, $"/patrons/{patron.PatronId}", HttpStatusCode.OK);
    }

    [Fact]
    public async Task AKeyRotation_KeepsOldTokensValid_AndNewTokensAreAcceptedEverywhereWithoutARestart()
    {
        using var before = await system.NewPatronAsync();
        var oldKid = KidOf(before.AccessToken);

        using var rotate = await system.Admin.Client.PostAsync("/auth/signing-keys", null);
        rotate.StatusCode.ShouldBe(HttpStatusCode.Created);
        var newKid = (await rotate.ReadObjectAsync())["kid"]!.GetValue<string>();
        newKid.ShouldNotBe(oldKid);

        using var after = await GatewayClients.SignInAsync(system.GatewayAddress, before.Email, before.Password, before.PatronId);
        KidOf(after.AccessToken).ShouldNotBe(oldKid); // ours, or a later one (the matrix rotates too)
        foreach (var token in new[] { before.AccessToken, after.AccessToken })
        {
            await ExpectAsync(system.GatewayAddress, token, $"/patrons/{before.PatronId}", HttpStatusCode.OK);
            await ExpectAsync(system.SecondGatewayAddress, token, $"/patrons/{before.PatronId}", HttpStatusCode.OK);
            await ExpectAsync(system.App.GetEndpoint(ResourceNames.LendingApi), token, "/loans", HttpStatusCode.OK);
        }

        var jwks = await system.Anonymous().GetFromJsonAsync<JsonObject>("/.well-known/jwks.json");
        var kids = jwks!["keys"]!.AsArray().Select(k => k!["kid"]!.GetValue<string>()).ToList();
        kids.ShouldContain(oldKid);
        kids.ShouldContain(newKid);
        jwks["keys"]!.AsArray().ShouldAllBe(k => k!["d"] == null && k["p"] == null, "JWKS publishes public keys only");
    }

    [Fact]
    public async Task Login_AnswersAlikeForAnUnknownEmailAndAWrongPassword()
    {
        using var patron = await system.NewPatronAsync();
        using var anonymous = system.Anonymous();

        using var unknown = await anonymous.PostAsJsonAsync("/auth/login", new { email = $"nobody.{Guid.NewGuid():N}@example.org", password = "Whatever123" });
        using var wrong = await anonymous.PostAsJsonAsync("/auth/login", new { email = patron.Email, password = "Wrong-password-1" });

        unknown.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        wrong.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var a = await unknown.ReadObjectAsync();
        var b = await wrong.ReadObjectAsync();
        a["code"]!.GetValue<string>().ShouldBe("auth.invalid_credentials");
        (a["title"]?.ToString(), a["detail"]?.ToString(), a["code"]?.ToString()).ShouldBe((b["title"]?.ToString(), b["detail"]?.ToString(), b["code"]?.ToString()));
    }

    [Fact]
    public async Task Register_WithAWeakPassword_Is400NamingThePassword_AndCreatesNothing()
    {
        using var anonymous = system.Anonymous();
        var email = $"weak.{Guid.NewGuid():N}@example.org";
        using var response = await anonymous.PostAsJsonAsync("/auth/register", new { email, password = "onlyletters", firstName = "W", lastName = "P" });

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await response.ReadObjectAsync();
        problem["code"]!.GetValue<string>().ShouldBe("validation.failed");
        problem["errors"]!["password"].ShouldNotBeNull();
        using var login = await anonymous.PostAsJsonAsync("/auth/login", new { email, password = "onlyletters" });
        login.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task APatron_BorrowsForThemselvesWithoutNamingThePatron()
    {
        using var patron = await system.NewPatronAsync();
        var book = await system.Gateway.AddBookIdAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/books/{book}/borrow") { Content = Json.Body("{}") };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var response = await patron.Client.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var operation = await patron.Client.WaitForOperationAsync(response.Headers.Location!.ToString(), "borrowed");
        operation["patronId"]!.GetValue<string>().ShouldBe(patron.PatronId.ToString());
        var loans = await patron.Client.GetFromJsonAsync<JsonObject>("/loans");
        loans!["items"]!.AsArray().Select(l => l!["id"]!.GetValue<string>()).ShouldBe([operation["loanId"]!.GetValue<string>()]);
    }

    /// <summary>Asserts the status; a failure names JwtBearer's reason (WWW-Authenticate).</summary>
    private static async Task ExpectAsync(Uri baseAddress, string token, string path, HttpStatusCode expected)
    {
        using var client = new HttpClient { BaseAddress = baseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.GetAsync(path);
        response.StatusCode.ShouldBe(expected, $"GET {baseAddress}{path.TrimStart('/')}: WWW-Authenticate {response.Headers.WwwAuthenticate}; {await response.Content.ReadAsStringAsync()}");
    }

    private static string KidOf(string token) => JsonNode.Parse(Base64Url(token.Split('.')[0]))!["kid"]!.GetValue<string>();

    private static string Base64Url(string value)
    {
        var padded = value.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - (padded.Length % 4)) % 4);
        return Encoding.UTF8.GetString(Convert.FromBase64String(padded));
    }

    private static string ToBase64Url(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
