using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Library.LoadTool;

/// <summary>Fills the id pools (id files and seeding) and disables mix entries whose pools stay empty.</summary>
internal static class Setup
{
    private const int SeedConcurrency = 4;

    public static async Task<IdPools> PrepareAsync(
        Options options, RequestPlan plan, List<string> warnings, TextWriter log, CancellationToken cancel)
    {
        var required = plan.RequiredPools;
        var pools = new IdPools();
        var emptyReason = new Dictionary<IdPoolKind, string>();
        bool patronSeedFailed = false;

        using var client = CreateSetupClient(options);

        // Books: --id-file and/or seeding (seeding by default only when {bookId} is used and no id file is given).
        var books = new List<string>();
        if (options.BookIdFile is not null)
        {
            books.AddRange(ReadIdFile(options.BookIdFile, "--id-file"));
        }

        int seedBooks = options.SeedBooks ?? (required.HasFlag(IdPoolKind.Book) && options.BookIdFile is null ? Options.DefaultSeedBooks : 0);
        if (seedBooks > 0)
        {
            var result = await SeedAsync(
                client, options, "/books", seedBooks, "books", log,
                i => $$"""{"title":"Seed Book {{i + 1}} {{Guid.NewGuid().ToString("N")[..8]}}","author":"Seed Author {{(i % 25) + 1}}"}""",
                cancel);
            books.AddRange(result.Ids);
            if (result.Failure is not null)
            {
                warnings.Add($"seeding books (POST /books) stopped after {result.Ids.Count}/{seedBooks}: {result.Failure}");
                emptyReason[IdPoolKind.Book] = $"seeding POST /books failed: {result.Failure}";
            }
        }
        else if (books.Count == 0)
        {
            emptyReason[IdPoolKind.Book] = options.BookIdFile is not null ? "--id-file has no ids" : "--seed-books 0 and no --id-file";
        }

        // Patrons: seeded only when the workload references {patronId} (or when asked for explicitly).
        var patrons = new List<string>();
        if (options.PatronIdFile is not null)
        {
            patrons.AddRange(ReadIdFile(options.PatronIdFile, "--patron-id-file"));
        }

        int seedPatrons = options.SeedPatrons ?? (required.HasFlag(IdPoolKind.Patron) && options.PatronIdFile is null ? Options.DefaultSeedPatrons : 0);
        if (seedPatrons > 0)
        {
            var result = await SeedAsync(
                client, options, "/patrons", seedPatrons, "patrons", log,
                i => $$"""{"firstName":"Seed","lastName":"Patron {{i + 1}}","email":"load-seed-{{Guid.NewGuid():N}}@example.com"}""",
                cancel);
            patrons.AddRange(result.Ids);
            if (result.Failure is not null)
            {
                warnings.Add($"seeding patrons (POST /patrons) stopped after {result.Ids.Count}/{seedPatrons}: {result.Failure}");
                if (result.Ids.Count == 0)
                {
                    patronSeedFailed = true;
                    emptyReason[IdPoolKind.Patron] = $"seeding POST /patrons failed: {result.Failure}";
                }
            }
        }
        else if (patrons.Count == 0)
        {
            emptyReason[IdPoolKind.Patron] = options.PatronIdFile is not null ? "--patron-id-file has no ids" : "--seed-patrons 0 and no --patron-id-file";
        }

        // Loans are never seeded (borrowing would change the data under test); they come from a file or not at all.
        var loans = new List<string>();
        if (options.LoanIdFile is not null)
        {
            loans.AddRange(ReadIdFile(options.LoanIdFile, "--loan-id-file"));
        }

        if (loans.Count == 0)
        {
            emptyReason[IdPoolKind.Loan] = options.LoanIdFile is not null ? "--loan-id-file has no ids" : "no --loan-id-file given (loans are not seeded)";
        }

        pools.Books = [.. books];
        pools.Patrons = [.. patrons];
        pools.Loans = [.. loans];

        foreach (var entry in plan.Entries)
        {
            if (entry.Weight <= 0)
            {
                entry.DisabledReason = "weight 0";
                continue;
            }

            if (patronSeedFailed && (entry.RequiredPools & (IdPoolKind.Patron | IdPoolKind.Loan)) != 0)
            {
                entry.DisabledReason = $"needs patrons/loans, but {emptyReason[IdPoolKind.Patron]}";
            }
            else
            {
                foreach (var kind in (ReadOnlySpan<IdPoolKind>)[IdPoolKind.Book, IdPoolKind.Patron, IdPoolKind.Loan])
                {
                    if (entry.RequiredPools.HasFlag(kind) && pools.Get(kind).Length == 0)
                    {
                        entry.DisabledReason = $"{PlaceholderName(kind)} pool is empty: {emptyReason.GetValueOrDefault(kind, "no ids")}";
                        break;
                    }
                }
            }

            if (!entry.Enabled)
            {
                warnings.Add($"mix entry '{entry.Name}' disabled: {entry.DisabledReason}");
            }
        }

        plan.Rebuild();
        return pools;
    }

    public static string PlaceholderName(IdPoolKind kind) => kind switch
    {
        IdPoolKind.Book => "{bookId}",
        IdPoolKind.Patron => "{patronId}",
        IdPoolKind.Loan => "{loanId}",
        _ => kind.ToString(),
    };

    /// <summary>A client for set-up and polling requests: a few pooled connections, --timeout per request, --header headers.</summary>
    public static HttpClient CreateSetupClient(Options options, int connections = SeedConcurrency)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            MaxConnectionsPerServer = connections,
            ConnectTimeout = options.Timeout,
        };
        var client = new HttpClient(handler, disposeHandler: true) { Timeout = options.Timeout };
        foreach (var (name, value) in options.Headers)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation(name, value);
        }

        return client;
    }

    private static string[] ReadIdFile(string file, string option)
    {
        if (!File.Exists(file))
        {
            throw new UsageException($"{option} file '{file}' not found");
        }

        var ids = new List<string>();
        foreach (string line in File.ReadLines(file))
        {
            string id = line.Trim();
            if (id.Length == 0 || id.StartsWith('#'))
            {
                continue;
            }

            if (id.Any(c => char.IsWhiteSpace(c) || c is '/' or '?' or '#' or '"' or '\\'))
            {
                throw new UsageException($"{option} file '{file}': id '{id}' contains characters not allowed in an id");
            }

            ids.Add(id);
        }

        return [.. ids];
    }

    private sealed class SeedState
    {
        public readonly List<string> Ids = [];
        public int Next = -1;
        public string? Failure;
    }

    public sealed record SeedResult(IReadOnlyList<string> Ids, string? Failure);

    /// <summary>
    /// POSTs <paramref name="count"/> bodies to <paramref name="path"/> with a few concurrent requests and collects
    /// the <c>id</c> of each 2xx response. Stops at the first failure and keeps the ids gathered so far.
    /// </summary>
    public static async Task<SeedResult> SeedAsync(
        HttpClient client,
        Options options,
        string path,
        int count,
        string what,
        TextWriter log,
        Func<int, string> body,
        CancellationToken cancel)
    {
        var uri = new Uri(options.BasePrefix + path, UriKind.Absolute);
        var state = new SeedState();
        var sw = Stopwatch.StartNew();
        log.WriteLine($"setup: creating {count} {what} via POST {path} ...");

        async Task Worker()
        {
            while (Volatile.Read(ref state.Failure) is null && !cancel.IsCancellationRequested)
            {
                int i = Interlocked.Increment(ref state.Next);
                if (i >= count)
                {
                    return;
                }

                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, uri)
                    {
                        Content = new StringContent(body(i), Encoding.UTF8, "application/json"),
                    };
                    request.Headers.TryAddWithoutValidation("Idempotency-Key", Guid.NewGuid().ToString());
                    using var response = await client.SendAsync(request, cancel);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.CompareExchange(
                            ref state.Failure, $"{(int)response.StatusCode} {response.ReasonPhrase}", null);
                        return;
                    }

                    await using var stream = await response.Content.ReadAsStreamAsync(cancel);
                    using var doc = await JsonDocument.ParseAsync(stream, cancellationToken: cancel);
                    string? id = ExtractId(doc.RootElement);
                    if (id is null)
                    {
                        Interlocked.CompareExchange(ref state.Failure, "response has no \"id\"", null);
                        return;
                    }

                    lock (state.Ids)
                    {
                        state.Ids.Add(id);
                    }
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                    Interlocked.CompareExchange(ref state.Failure, "cancelled", null);
                    return;
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException or IOException)
                {
                    Interlocked.CompareExchange(ref state.Failure, DescribeSetupError(ex), null);
                    return;
                }
            }
        }

        var workers = new Task[Math.Min(SeedConcurrency, count)];
        for (int w = 0; w < workers.Length; w++)
        {
            workers[w] = Worker();
        }

        await Task.WhenAll(workers);
        log.WriteLine($"setup: {state.Ids.Count}/{count} {what} created in {sw.Elapsed.TotalSeconds:0.0}s"
            + (state.Failure is null ? string.Empty : $" ({state.Failure})"));
        return new SeedResult(state.Ids, state.Failure);
    }

    public static string? ExtractId(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var p in root.EnumerateObject())
        {
            if (string.Equals(p.Name, "id", StringComparison.OrdinalIgnoreCase))
            {
                return p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.Number => p.Value.GetRawText(),
                    _ => null,
                };
            }
        }

        return null;
    }

    public static string DescribeSetupError(Exception ex) => ex switch
    {
        OperationCanceledException => "timeout",
        HttpRequestException { InnerException: SocketException se } => se.SocketErrorCode == SocketError.ConnectionRefused
            ? "connection refused (is the service running at --base-url?)"
            : se.SocketErrorCode.ToString(),
        HttpRequestException hre when hre.StatusCode is HttpStatusCode code => $"{(int)code}",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };
}
