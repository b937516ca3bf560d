using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Library.SharedKernel.Resources;
using Library.Testing;
using Npgsql;

namespace Library.EndToEnd.Tests;

/// <summary>
/// Issue 11, "bad input, every route": generated requests against every route of the Gateway's route table, as
/// each principal — wrong methods, ids, cursors and query values; bodies built from the services' OpenAPI schemas
/// with wrong types, nulls, boundary lengths, huge numbers, unicode, invalid UTF-8, duplicate keys and extra
/// fields; bad headers and tokens. Every answer must be below 500, every 4xx a problem document whose
/// <c>code</c> is in <c>docs/error-codes.md</c>, and no rejected request may write anything (books and patrons
/// written by the run are counted in the databases against the 201s). The seed is printed; set
/// <c>LIBRARY_FUZZ_SEED</c> to replay a run, <c>LIBRARY_FUZZ_CASES</c> to change the cases per route and principal.
/// </summary>
public sealed partial class RouteFuzzTests(LibrarySystem system, ITestOutputHelper output)
{
    private static readonly string[] s_methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    private static readonly string[] s_who = ["anonymous", "patron A", "patron B", "librarian", "admin"];

    [Fact]
    public async Task EveryRoute_AsEveryPrincipal_AnswersGeneratedBadInputWithA4xxProblem_NeverA5xx_AndWritesNothing()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("LIBRARY_FUZZ_SEED"), out var fixedSeed) ? fixedSeed : Random.Shared.Next();
        var casesPerCell = int.TryParse(Environment.GetEnvironmentVariable("LIBRARY_FUZZ_CASES"), out var cases) ? cases : 200;
        output.WriteLine($"Fuzz seed {seed} (replay with LIBRARY_FUZZ_SEED={seed}), {casesPerCell} cases per route and principal");
        var marker = $"fz{seed:x8}";
        var codes = KnownCodes();
        var routes = Routes();
        var schemas = await BodySchemasAsync();

        // Targets of their own, so that an accepted request changes nothing another test looks at.
        using var owner = await system.NewPatronAsync();
        using var other = await system.NewPatronAsync();
        var book = await system.Gateway.AddBookIdAsync();
        var operation = await system.Gateway.BorrowAndWaitAsync(await system.Gateway.AddBookIdAsync(), owner.PatronId!.Value.ToString(), "borrowed");
        var ids = new Ids(book, owner.PatronId!.Value.ToString(), operation["loanId"]!.GetValue<string>(), operation["id"]!.GetValue<string>());
        // Principals of its own, each on its own client address: the per-IP limits this run exhausts (login,
        // register) must not be those of the principals other tests use.
        using var anonymous = system.Anonymous();
        using var librarian = await GatewayClients.NewStaffAsync(system.GatewayAddress, system.Admin.Client);
        using var admin = await GatewayClients.SignInAsAdminAsync(system.GatewayAddress);
        HttpClient[] clients = [anonymous, owner.Client, other.Client, librarian.Client, admin.Client];

        // POST /auth/logout ends the session it is sent with: that route gets sessions of its own.
        using var ownerSession = await GatewayClients.SignInAsync(system.GatewayAddress, owner.Email, owner.Password);
        using var otherSession = await GatewayClients.SignInAsync(system.GatewayAddress, other.Email, other.Password);
        using var librarianSession = await GatewayClients.SignInAsync(system.GatewayAddress, librarian.Email, librarian.Password);
        using var adminSession = await GatewayClients.SignInAsAdminAsync(system.GatewayAddress);
        HttpClient[] logoutClients = [anonymous, ownerSession.Client, otherSession.Client, librarianSession.Client, adminSession.Client];

        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var created = new ConcurrentDictionary<string, int>();
        var tried = 0;
        var closedOversized = 0;
        var cells = new List<(string RouteId, Route Route, int Who, int Cases)>();
        foreach (var (id, route) in routes.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            for (var who = 0; who < s_who.Length; who++)
            {
                // Each accepted request here generates and stores an RSA key: the rotation itself is covered by the
                // authorization matrix and the key tests; 20 cases keep the key ring small.
                var count = id == "auth-signing-keys" && who == 4 ? Math.Min(20, casesPerCell) : casesPerCell;
                cells.Add((id, route, who, count));
            }
        }

        await Parallel.ForEachAsync(
            cells.SelectMany(cell => Enumerable.Range(0, cell.Cases).Select(i => (cell.RouteId, cell.Route, cell.Who, Case: i))),
            new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (item, ct) =>
            {
                var random = new Random(StableSeed(seed, item.RouteId, item.Who, item.Case));
                using var request = Generate(random, item.Route, schemas, ids, marker, admin.AccessToken);
                var sent = request.Content is null ? "none" : Snippet(await request.Content.ReadAsStringAsync(ct));
                var headers = string.Join("; ", request.Headers.Select(h => $"{h.Key}: {Snippet(string.Join(" | ", h.Value))}"));
                var description = $"[{item.RouteId} as {s_who[item.Who]}, case {item.Case}] {request.Method} {Snippet(request.RequestUri!.ToString())} headers [{headers}] body {sent}";
                Interlocked.Increment(ref tried);
                HttpResponseMessage response;
                try
                {
                    response = await (item.RouteId == "auth-logout" ? logoutClients : clients)[item.Who].SendAsync(request, ct);
                }
                catch (HttpRequestException e) when (request.Content?.Headers.ContentLength > 64 * 1024)
                {
                    // Over the body limit the server answers 413 (or 401/429 first) and closes the connection; a
                    // client still sending may see the close instead of the answer. Counted, not a failure.
                    Interlocked.Increment(ref closedOversized);
                    _ = e;
                    return;
                }
                catch (HttpRequestException e)
                {
                    failures.Enqueue($"{description}: no answer ({e.Message} {e.InnerException?.Message})");
                    return;
                }

                using (response)
                {
                    var status = (int)response.StatusCode;
                    statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                    var body = await response.Content.ReadAsStringAsync(ct);
                    if (status >= 500)
                    {
                        failures.Enqueue($"!5xx {description}: {status} {Snippet(body)}");
                    }
                    else if (status >= 400 && request.Method != HttpMethod.Head)
                    {
                        var code = ProblemCode(response, body);
                        if (code is null || !codes.Contains(code))
                        {
                            failures.Enqueue($"{description}: {status} without a known problem code: {Snippet(body)}");
                        }
                    }
                    else if (status is 201 && request.Method == HttpMethod.Post)
                    {
                        created.AddOrUpdate(item.Route.Path, 1, (_, n) => n + 1);
                    }
                }
            });

        var books = await CountAsync(ResourceNames.CatalogDb, $"SELECT count(*) FROM catalog.books WHERE title LIKE '%{marker}%' OR author LIKE '%{marker}%'");
        var patrons = await CountAsync(ResourceNames.PatronDb, $"SELECT count(*) FROM patron.patrons WHERE email LIKE '%{marker}%' OR first_name LIKE '%{marker}%' OR last_name LIKE '%{marker}%'");
        var summary = string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"));
        output.WriteLine($"Fuzz: {tried} requests over {routes.Count} routes × {s_who.Length} principals; statuses {summary}; 5xx: {statuses.Where(s => s.Key >= 500).Sum(s => s.Value)}; books written {books} (201s {created.GetValueOrDefault("/books")}), patrons written {patrons}; oversized bodies answered by a closed connection {closedOversized}");
        // For the test script's summary (eng/test.sh prints it): test output is shown only for failing tests.
        File.WriteAllText(
            Path.Combine(AppContext.BaseDirectory, "fuzz-summary.txt"),
            $"Fuzzer: seed {seed}, {tried} requests over {routes.Count} routes x {s_who.Length} principals, 5xx {statuses.Where(s => s.Key >= 500).Sum(s => s.Value)}, rule breaks {failures.Count}, statuses {summary}{Environment.NewLine}");

        var worst = failures.OrderBy(f => f.StartsWith("!5xx", StringComparison.Ordinal) ? 0 : 1).Take(40).ToList();
        File.WriteAllLines(Path.Combine(AppContext.BaseDirectory, $"fuzz-failures-{seed}.txt"), failures);
        worst.ShouldBeEmpty($"{failures.Count} of {tried} generated requests broke a rule (seed {seed}; all in fuzz-failures-{seed}.txt):{Environment.NewLine}{string.Join(Environment.NewLine, worst)}");
        books.ShouldBe(created.GetValueOrDefault("/books"), "only the accepted POST /books wrote books");
        patrons.ShouldBe(created.GetValueOrDefault("/patrons") + created.GetValueOrDefault("/auth/register"), "only accepted registrations wrote patrons");
    }

    /// <summary>Found by the fuzzer: two returns of one book at once both wrote its receipt mail; the second was a 500.</summary>
    [Fact]
    public async Task ConcurrentReturnsOfOneBook_OneReturnsIt_TheOthersAre409_NoneA500()
    {
        var book = await system.Gateway.AddBookIdAsync();
        await system.Gateway.BorrowAndWaitAsync(book, await system.Gateway.RegisterPatronIdAsync(), "borrowed");

        var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/books/{book}/return") { Content = Json.Body("{}") };
            request.Headers.Add("Idempotency-Key", $"concurrent-return-{Guid.NewGuid():N}");
            using var response = await system.Gateway.SendAsync(request);
            return (int)response.StatusCode;
        }));

        statuses.Count(s => s == 200).ShouldBe(1, string.Join(", ", statuses));
        statuses.Where(s => s != 200).ShouldAllBe(s => s == 409, string.Join(", ", statuses));
    }

    private sealed record Route(string Method, string Path);

    private sealed record Ids(string Book, string Patron, string Loan, string Operation);

    private sealed record Field(string Name, string Type, int? MaxLength);

    private static HttpRequestMessage Generate(Random random, Route route, IReadOnlyDictionary<string, IReadOnlyList<Field>> schemas, Ids ids, string marker, string adminToken)
    {
        var method = random.Next(100) < 85 ? route.Method : s_methods[random.Next(s_methods.Length)];
        var path = TemplateParameter().Replace(route.Path, m => Identifier(random, m.Groups[1].Value, ids));
        var query = route.Method == "GET" || random.Next(10) == 0 ? Query(random, ids) : string.Empty;
        var request = new HttpRequestMessage(new HttpMethod(method), path + query);

        // One connection per case: whatever a case does to its connection, the answer (or the lack of one) is its own.
        request.Headers.ConnectionClose = true;

        if (method is "POST" or "PUT" or "PATCH" || random.Next(10) == 0)
        {
            schemas.TryGetValue($"{route.Method} {route.Path}", out var fields);
            request.Content = Body(random, fields ?? [], marker);
        }

        // The Idempotency-Key: usually a fresh valid one, else missing, malformed or twice.
        switch (random.Next(10))
        {
            case < 6: request.Headers.TryAddWithoutValidation("Idempotency-Key", $"fuzz-{random.Next():x8}-{random.Next():x8}"); break;
            case 6: break;
            case 7: request.Headers.TryAddWithoutValidation("Idempotency-Key", Pick(random, "short", "", new string('k', 129), "has space", "%D0%BA%D0%BB%D1%8E%D1%87", "a/b/c/d/e/f", "%00%00%00%00%00")); break;
            case 8: request.Headers.TryAddWithoutValidation("Idempotency-Key", ["fuzz-first-0001", "fuzz-second-002"]); break;
            default: request.Headers.TryAddWithoutValidation("Idempotency-Key", "fuzz-fixed-key-0001"); break;
        }

        // Now and then a bad token, or the admin's token with a broken signature, instead of the principal's own.
        switch (random.Next(25))
        {
            case 0: request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token"); break;
            case 1: request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken[..^4] + "AAAA"); break;
            case 2: request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:admin"))); break;
            case 3 when random.Next(8) == 0:
                // Signed by a key we do not trust, under a kid nobody publishes: the Gateway looks the kid up (at
                // most once a second) before refusing, so these cost their sender up to a second: a few suffice.
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Mint("admin"));
                break;
            case 4: request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + new string('x', 9000)); break;
            default: break;
        }

        if (random.Next(15) == 0)
        {
            request.Headers.TryAddWithoutValidation(Pick(random, "X-Forwarded-For", "Accept", "If-None-Match", "Range", "X-Http-Method-Override"), Pick(random, "1.2.3.4, evil", "*/*;q=abc", "\"%C3%A9\"", "bytes=9-1", "DELETE"));
        }

        return request;
    }

    private static string Identifier(Random random, string parameter, Ids ids) => random.Next(10) switch
    {
        < 3 => parameter.Contains("loan", StringComparison.OrdinalIgnoreCase) ? ids.Loan : Pick(random, ids.Book, ids.Patron, ids.Loan, ids.Operation),
        < 6 => Guid.NewGuid().ToString(),
        _ => Uri.EscapeDataString(Pick(random, "abc", "0", "-1", "00000000-0000-0000-0000-000000000000", "' OR 1=1 --", new string('9', 40), "💥", "%00", "..%2F..%2Fetc", "{id}", Guid.NewGuid().ToString("N") + "x", "null", " ")),
    };

    private static string Query(Random random, Ids ids)
    {
        var parts = new List<string>();
        foreach (var name in new[] { "limit", "cursor", "title", "author", "patronId", "status", "max", "isbn", "x" })
        {
            if (random.Next(3) == 0)
            {
                var value = name switch
                {
                    "limit" or "max" => Pick(random, "-1", "0", "1", "100", "101", "2147483648", "1e9", "abc", "", "1.5"),
                    "cursor" => Pick(random, "abc", "", "eyJ0IjoiIn0", new string('A', 5000), "%%%", Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"id\":\"x\"}"))),
                    "patronId" => Pick(random, ids.Patron, Guid.NewGuid().ToString(), "me", "'--"),
                    "status" => Pick(random, "active", "overdue", "returned", "ACTIVE", "whatever", ""),
                    _ => Pick(random, "a", "", new string('t', 1000), "Ünïcödé 漢字 🚀", "\u202Eevil", "%", "_", "\\", "a\0b"),
                };
                parts.Add($"{name}={Uri.EscapeDataString(value)}");
            }
        }

        if (random.Next(20) == 0)
        {
            parts.Add("limit=1&limit=2");
        }

        return parts.Count == 0 ? string.Empty : "?" + string.Join('&', parts);
    }

    private static HttpContent Body(Random random, IReadOnlyList<Field> fields, string marker)
    {
        var kind = random.Next(20);
        if (kind == 0)
        {
            return new ByteArrayContent([0x7B, 0x22, 0x74, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0xFF, 0x22, 0x7D]) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } }; // invalid UTF-8
        }

        if (kind == 1)
        {
            return new StringContent(Pick(random, "", "{", "[]", "null", "42", "\"text\"", "{\"a\":", "{}}", "\uFEFF{}", "{\"title\":\"x\"}{\"title\":\"y\"}"), Encoding.UTF8, "application/json");
        }

        if (kind == 2)
        {
            return new StringContent("title=x&author=y", Encoding.UTF8, Pick(random, "text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data"));
        }

        if (kind == 3)
        {
            return new StringContent("{\"title\":\"" + new string('x', 70_000) + "\"}", Encoding.UTF8, "application/json"); // over the 64 KiB limit
        }

        var json = new StringBuilder("{");
        var first = true;
        foreach (var field in fields)
        {
            if (random.Next(6) == 0)
            {
                continue; // missing
            }

            Append(json, ref first, field.Name, Value(random, field, marker));
            if (random.Next(15) == 0)
            {
                Append(json, ref first, field.Name, Value(random, field, marker)); // duplicate key
            }
        }

        if (random.Next(5) == 0)
        {
            Append(json, ref first, Pick(random, "id", "extra", "__proto__", "$type", "status", "role", "Title"), Value(random, new Field("extra", "string", null), marker));
        }

        json.Append('}');
        return new StringContent(json.ToString(), Encoding.UTF8, "application/json");
    }

    private static void Append(StringBuilder json, ref bool first, string name, string value)
    {
        if (!first)
        {
            json.Append(',');
        }

        first = false;
        json.Append('"').Append(name).Append("\":").Append(value);
    }

    /// <summary>A raw JSON value for the field: plausible (with the run's marker) half the time, else wrong in some way.</summary>
    private static string Value(Random random, Field field, string marker)
    {
        var plausible = field.Name switch
        {
            "email" => $"\"{marker}.{random.Next()}@example.org\"",
            "password" => $"\"Pw{marker}{random.Next()}9\"",
            "patronId" or "bookId" => $"\"{Guid.NewGuid()}\"",
            "membershipTier" => Pick(random, "\"regular\"", "\"student\"", "\"researcher\""),
            "role" => Pick(random, "\"librarian\"", "\"admin\""),
            "days" or "max" => random.Next(-2, 40).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "isbn" => Pick(random, "\"978-0-441-47812-5\"", "\"0-306-40615-2\""),
            _ when field.Type is "integer" or "number" => random.Next(-5, 100).ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ when field.Type is "boolean" => "true",
            _ => $"\"{marker} {field.Name}\"",
        };
        if (random.Next(2) == 0)
        {
            return plausible;
        }

        var max = field.MaxLength ?? 200;
        return random.Next(16) switch
        {
            0 => "null",
            1 => "\"\"",
            2 => "\"   \"",
            3 => "42",
            4 => "1e309",
            5 => "-9223372036854775809",
            6 => "true",
            7 => "{\"nested\":{\"deep\":[1,2,3]}}",
            8 => "[\"a\",\"b\"]",
            9 => $"\"{marker}{new string('x', max + 1 - marker.Length)}\"",
            10 => $"\"{marker}{new string('x', Math.Max(0, max - marker.Length))}\"",
            11 => $"\"{marker} Ünïcödé 漢字 🚀 \\u202E\\u0000\"",
            12 => $"\"{marker}\\ud800\"", // a lone surrogate
            13 => $"\"{marker}'; DROP TABLE books; --\"",
            14 => $"\"{marker} 2026-13-45T99:99:99Z\"",
            _ => "0.000000000000000000000000000001",
        };
    }

    private static T Pick<T>(Random random, params T[] values) => values[random.Next(values.Length)];

    /// <summary>The same number for the same case in every process (HashCode is randomized per process).</summary>
    private static int StableSeed(int seed, string route, int who, int number)
    {
        var hash = 2166136261u;
        foreach (var c in $"{seed}|{route}|{who}|{number}")
        {
            hash = unchecked((hash ^ c) * 16777619u);
        }

        return unchecked((int)hash);
    }

    private static string Snippet(string body) => body.Length > 300 ? body[..300] + "…" : body;

    private static string? ProblemCode(HttpResponseMessage response, string body)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(body)?["code"]?.GetValue<string>();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private async Task<long> CountAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(await system.App.GetConnectionStringAsync(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static HashSet<string> KnownCodes()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "error-codes.md");
        return [.. ErrorCodeRow().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value)];
    }

    private static Dictionary<string, Route> Routes()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "gateway-routes.json")))!;
        return config["ReverseProxy"]!["Routes"]!.AsObject().ToDictionary(
            r => r.Key,
            r => new Route(r.Value!["Match"]!["Methods"]![0]!.GetValue<string>(), r.Value["Match"]!["Path"]!.GetValue<string>()));
    }

    /// <summary>Request-body fields per "METHOD /path", from each service's OpenAPI document (through the Gateway).</summary>
    private async Task<IReadOnlyDictionary<string, IReadOnlyList<Field>>> BodySchemasAsync()
    {
        var result = new Dictionary<string, IReadOnlyList<Field>>(StringComparer.Ordinal);
        foreach (var service in new[] { "catalog", "patron", "lending" })
        {
            var document = JsonNode.Parse(await system.Gateway.GetStringAsync($"/openapi/{service}.json"))!;
            var components = document["components"]?["schemas"]?.AsObject();
            foreach (var (path, operations) in document["paths"]!.AsObject())
            {
                foreach (var (method, operation) in operations!.AsObject())
                {
                    var schema = operation?["requestBody"]?["content"]?["application/json"]?["schema"];
                    if (schema?["$ref"]?.GetValue<string>() is { } reference && components is not null)
                    {
                        schema = components[reference.Split('/')[^1]];
                    }

                    if (schema?["properties"]?.AsObject() is { } properties)
                    {
                        result[$"{method.ToUpperInvariant()} {path}"] = [.. properties.Select(p => new Field(
                            p.Key,
                            p.Value?["type"] is JsonArray types ? types.Select(t => t!.ToString()).FirstOrDefault(t => t != "null") ?? "string" : p.Value?["type"]?.ToString() ?? "string",
                            p.Value?["maxLength"]?.GetValue<int>()))];
                    }
                }
            }
        }

        return result;
    }

    [GeneratedRegex(@"\{\*{0,2}([A-Za-z]+)\}")]
    private static partial Regex TemplateParameter();

    [GeneratedRegex(@"^\| `([a-z_]+\.[a-z_]+)` \|", RegexOptions.Multiline)]
    private static partial Regex ErrorCodeRow();
}
