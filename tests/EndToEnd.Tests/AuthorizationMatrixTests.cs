using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Library.SharedKernel.Resources;
using Library.Testing;

namespace Library.EndToEnd.Tests;

/// <summary>
/// SPEC §4's "Who" column, cell by cell: every route of the Gateway's route table (read from its configuration,
/// so a route added without a row here fails) against anonymous, patron A (the owner), patron B, a librarian and
/// an admin. Each allowed cell acts on fresh data and must succeed with the route's status; each denied cell is
/// sent a second time straight to the service behind the route, which must deny it too.
/// </summary>
public sealed class AuthorizationMatrixTests(LibrarySystem system) : IAsyncLifetime
{
    private const int Anon = 0, PatronA = 1, PatronB = 2, Librarian = 3, Admin = 4;
    private static readonly string[] s_who = ["anonymous", "patron A", "patron B", "librarian", "admin"];

    private TestPrincipal _a = null!;
    private TestPrincipal _b = null!;
    private string _bookOfA = null!;
    private string _operationOfA = null!;
    private string _loanOfA = null!;
    private string _returnableLoanOfA = null!;
    private readonly Queue<string> _booksOnLoanToA = new();
    private string _loginEmail = null!;
    private string _loginPassword = null!;

    public async ValueTask InitializeAsync()
    {
        _a = await system.NewPatronAsync();
        _b = await system.NewPatronAsync();
        var a = _a.PatronId!.Value.ToString();

        // A borrows enough in this test to pass the regular limit of 5.
        var (status, _) = await system.Gateway.PostWithKeyAsync($"/patrons/{a}/upgrade-tier", """{"membershipTier":"researcher"}""");
        status.ShouldBe(HttpStatusCode.OK);

        _bookOfA = await system.Gateway.AddBookIdAsync();
        using (var borrow = await _a.Client.BorrowAsync(_bookOfA, a))
        {
            borrow.StatusCode.ShouldBe(HttpStatusCode.Accepted, await borrow.Content.ReadAsStringAsync());
            var operation = await system.Gateway.WaitForOperationAsync(borrow.Headers.Location!.ToString(), "borrowed");
            _operationOfA = operation["id"]!.GetValue<string>();
            _loanOfA = operation["loanId"]!.GetValue<string>();
        }

        _returnableLoanOfA = (await system.Gateway.BorrowAndWaitAsync(await system.Gateway.AddBookIdAsync(), a, "borrowed"))["loanId"]!.GetValue<string>();
        for (var i = 0; i < 2; i++)
        {
            var book = await system.Gateway.AddBookIdAsync();
            await system.Gateway.BorrowAndWaitAsync(book, a, "borrowed");
            _booksOnLoanToA.Enqueue(book);
        }

        using var login = await system.NewPatronAsync();
        (_loginEmail, _loginPassword) = (login.Email, login.Password);
    }

    public ValueTask DisposeAsync()
    {
        _a?.Dispose();
        _b?.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public void EveryGatewayRoute_HasARowInTheMatrix_AndEveryRowIsARoute()
    {
        var routes = GatewayRoutes();
        var rows = Rows();

        routes.Keys.Except(rows.Keys).ShouldBeEmpty("routes without a row in the authorization matrix");
        rows.Keys.Except(routes.Keys).ShouldBeEmpty("matrix rows for routes the Gateway does not have");
        foreach (var (id, route) in routes)
        {
            $"{rows[id].Method} {rows[id].Template}".ShouldBe($"{route.Method} {route.Path}", $"row {id}");
        }
    }

    [Theory]
    [InlineData("GET", "/no-such-route", 404, "route.not_found")]
    [InlineData("GET", "/patrons/0190f5a4-7c8e-7d3a-9b1e-2f4c6a8e0b1d/eligibility", 404, "route.not_found")]
    public async Task AnAnonymousRequestForARouteTheGatewayDoesNotHave_Is404NotA401(string method, string path, int status, string code)
    {
        using var anonymous = system.Anonymous();
        using var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        ((int)response.StatusCode).ShouldBe(status);
        (await response.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe(code);
    }

    [Fact]
    public async Task EveryRoute_ForEveryPrincipal_AnswersWhatTheWhoColumnSays()
    {
        var routes = GatewayRoutes();
        var rows = Rows();
        var failures = new List<string>();
        var cells = 0;
        using var anonymous = system.Anonymous();
        HttpClient[] clients = [anonymous, _a.Client, _b.Client, system.Librarian.Client, system.Admin.Client];
        string?[] tokens = [null, _a.AccessToken, _b.AccessToken, system.Librarian.AccessToken, system.Admin.AccessToken];

        foreach (var (id, route) in routes.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var row = rows[id];
            for (var who = 0; who < s_who.Length; who++)
            {
                cells++;
                using var request = await row.Build(who);
                using var response = await clients[who].SendAsync(request);
                if ((int)response.StatusCode != row.Expected[who])
                {
                    failures.Add($"{id} ({row.Method} {request.RequestUri}) as {s_who[who]}: expected {row.Expected[who]}, got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    continue;
                }

                if (row.Expected[who] is 401 or 403)
                {
                    // The service behind the route must refuse on its own, without the Gateway in front of it.
                    using var direct = new HttpClient { BaseAddress = system.App.GetEndpoint(ServiceOf(route.Cluster)) };
                    using var again = await row.Build(who);
                    again.Headers.Authorization ??= tokens[who] is { } token ? new AuthenticationHeaderValue("Bearer", token) : null;
                    using var serviceResponse = await direct.SendAsync(again);
                    if ((int)serviceResponse.StatusCode != row.Expected[who])
                    {
                        failures.Add($"{id} straight to {ServiceOf(route.Cluster)} as {s_who[who]}: expected {row.Expected[who]}, got {(int)serviceResponse.StatusCode}");
                    }
                }
            }
        }

        cells.ShouldBe(routes.Count * s_who.Length);
        failures.ShouldBeEmpty($"{failures.Count} of {cells} cells are wrong:{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
    }

    private static string ServiceOf(string cluster) => cluster switch
    {
        "catalog" => ResourceNames.CatalogApi,
        "patron" => ResourceNames.PatronApi,
        "lending" => ResourceNames.LendingApi,
        _ => throw new ArgumentOutOfRangeException(nameof(cluster), cluster, "unknown cluster"),
    };

    private sealed record Route(string Method, string Path, string Cluster);

    private sealed record Row(string Method, string Template, int[] Expected, Func<int, Task<HttpRequestMessage>> Build);

    private static Dictionary<string, Route> GatewayRoutes()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "gateway-routes.json")))!;
        return config["ReverseProxy"]!["Routes"]!.AsObject().ToDictionary(
            r => r.Key,
            r => new Route(r.Value!["Match"]!["Methods"]![0]!.GetValue<string>(), r.Value["Match"]!["Path"]!.GetValue<string>(), r.Value["ClusterId"]!.GetValue<string>()));
    }

    private Dictionary<string, Row> Rows()
    {
        var a = _a.PatronId!.Value.ToString();
        int[] anyone(int status) => [status, status, status, status, status];
        int[] staff(int status) => [401, 403, 403, status, status];
        int[] ownerOrStaff(int status) => [401, status, 403, status, status];
        int[] adminOnly(int status) => [401, 403, 403, 403, status];

        Row get(string template, int[] expected, Func<int, string> path) => new("GET", template, expected, who => Task.FromResult(new HttpRequestMessage(HttpMethod.Get, path(who))));
        Row post(string template, int[] expected, Func<int, Task<(string Path, string? Body)>> build, bool key = true) => new("POST", template, expected, async who =>
        {
            var (path, body) = await build(who);
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json.Body(body ?? "{}") };
            if (key)
            {
                request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            }

            return request;
        });

        string borrowerBody(int who) => who == PatronA ? "{}" : $$"""{"patronId":"{{a}}"}""";
        async Task<string> newPatron() => (await system.Gateway.RegisterPatronAsync())["id"]!.GetValue<string>();
        async Task<string> newSuspendedPatron()
        {
            var id = await newPatron();
            (await system.Gateway.PostWithKeyAsync($"/patrons/{id}/suspend", """{"reason":"matrix"}""")).Status.ShouldBe(HttpStatusCode.OK);
            return id;
        }

        var rows = new Dictionary<string, Row>
        {
            ["books-list"] = get("/books", anyone(200), _ => "/books?limit=1"),
            ["books-get"] = get("/books/{id}", anyone(200), _ => $"/books/{_bookOfA}"),
            ["books-add"] = post("/books", staff(201), _ => Task.FromResult(("/books", (string?)$$"""{"title":"{{Json.Unique("Matrix")}}","author":"M. Atrix"}"""))),
            ["books-borrow"] = post("/books/{id}/borrow", [401, 202, 403, 202, 202], async who => ($"/books/{await system.Gateway.AddBookIdAsync()}/borrow", borrowerBody(who))),
            ["books-return"] = post("/books/{id}/return", staff(200), who => Task.FromResult(($"/books/{(who is Librarian or Admin ? _booksOnLoanToA.Dequeue() : _bookOfA)}/return", (string?)null))),
            ["borrow-operations-get"] = get("/borrow-operations/{id}", ownerOrStaff(200), _ => $"/borrow-operations/{_operationOfA}"),
            ["loans-create"] = post("/loans", staff(202), async _ => ("/loans", $$"""{"bookId":"{{await system.Gateway.AddBookIdAsync()}}","patronId":"{{a}}"}""")),
            ["loans-list"] = get("/loans", ownerOrStaff(200), _ => $"/loans?patronId={a}"),
            ["loans-get"] = get("/loans/{id}", ownerOrStaff(200), _ => $"/loans/{_loanOfA}"),
            ["loans-extend"] = post("/loans/{id}/extend", ownerOrStaff(200), _ => Task.FromResult(($"/loans/{_loanOfA}/extend", (string?)"""{"days":1}"""))),
            ["loans-return"] = post("/loans/{id}/return", ownerOrStaff(200), _ => Task.FromResult(($"/loans/{_returnableLoanOfA}/return", (string?)null))),
            ["patrons-list"] = get("/patrons", staff(200), _ => "/patrons?limit=1"),
            ["patrons-add"] = post("/patrons", staff(201), _ => Task.FromResult(("/patrons", (string?)$$"""{"firstName":"M","lastName":"X","email":"m.{{Guid.NewGuid():N}}@example.org"}"""))),
            ["patrons-get"] = get("/patrons/{id}", ownerOrStaff(200), _ => $"/patrons/{a}"),
            ["patrons-suspend"] = post("/patrons/{id}/suspend", staff(200), async _ => ($"/patrons/{await newPatron()}/suspend", """{"reason":"matrix"}""")),
            ["patrons-reinstate"] = post("/patrons/{id}/reinstate", staff(200), async _ => ($"/patrons/{await newSuspendedPatron()}/reinstate", null)),
            ["patrons-upgrade-tier"] = post("/patrons/{id}/upgrade-tier", staff(200), async _ => ($"/patrons/{await newPatron()}/upgrade-tier", """{"membershipTier":"premium"}""")),
            ["auth-register"] = post("/auth/register", anyone(201), _ => Task.FromResult(("/auth/register", (string?)$$"""{"email":"r.{{Guid.NewGuid():N}}@example.org","password":"Matrix{{Guid.NewGuid():N}}1","firstName":"R","lastName":"S"}""")), key: false),
            ["auth-login"] = post("/auth/login", anyone(200), _ => Task.FromResult(("/auth/login", (string?)JsonSerializer.Serialize(new { email = _loginEmail, password = _loginPassword }))), key: false),
            ["auth-refresh"] = post("/auth/refresh", anyone(200), async _ =>
            {
                using var session = await GatewayClients.SignInAsync(system.GatewayAddress, _loginEmail, _loginPassword);
                return ("/auth/refresh", JsonSerializer.Serialize(new { refreshToken = session.RefreshToken }));
            }, key: false),
            ["auth-logout"] = new("POST", "/auth/logout", [401, 204, 204, 204, 204], async who =>
            {
                // Sign out a second session of the same principal, not the one the rest of the matrix uses.
                var request = new HttpRequestMessage(HttpMethod.Post, "/auth/logout");
                if (who != Anon)
                {
                    using var session = await SecondSessionAsync(who);
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.AccessToken);
                }

                return request;
            }),
            ["auth-signing-keys"] = post("/auth/signing-keys", adminOnly(201), _ => Task.FromResult(("/auth/signing-keys", (string?)null)), key: false),
            ["staff-add"] = post("/staff", adminOnly(201), _ => Task.FromResult(("/staff", (string?)$$"""{"email":"s.{{Guid.NewGuid():N}}@library.test","password":"Staff{{Guid.NewGuid():N}}2","firstName":"S","lastName":"T","role":"librarian"}"""))),
            ["catalog-dead-letters-get"] = get("/admin/catalog/dead-letters", adminOnly(200), _ => "/admin/catalog/dead-letters"),
            ["catalog-dead-letters-replay"] = post("/admin/catalog/dead-letters/replay", adminOnly(200), _ => Task.FromResult(("/admin/catalog/dead-letters/replay?max=1", (string?)null)), key: false),
            ["lending-dead-letters-get"] = get("/admin/lending/dead-letters", adminOnly(200), _ => "/admin/lending/dead-letters"),
            ["lending-dead-letters-replay"] = post("/admin/lending/dead-letters/replay", adminOnly(200), _ => Task.FromResult(("/admin/lending/dead-letters/replay?max=1", (string?)null)), key: false),
            ["jwks"] = get("/.well-known/jwks.json", anyone(200), _ => "/.well-known/jwks.json"),
            ["catalog-openapi"] = get("/openapi/catalog.json", anyone(200), _ => "/openapi/catalog.json"),
            ["patron-openapi"] = get("/openapi/patron.json", anyone(200), _ => "/openapi/patron.json"),
            ["lending-openapi"] = get("/openapi/lending.json", anyone(200), _ => "/openapi/lending.json"),
        };
        return rows;
    }

    private Task<TestPrincipal> SecondSessionAsync(int who) => who switch
    {
        PatronA => GatewayClients.SignInAsync(system.GatewayAddress, _a.Email, _a.Password),
        PatronB => GatewayClients.SignInAsync(system.GatewayAddress, _b.Email, _b.Password),
        Librarian => GatewayClients.SignInAsync(system.GatewayAddress, system.Librarian.Email, system.Librarian.Password),
        _ => GatewayClients.SignInAsAdminAsync(system.GatewayAddress),
    };
}
