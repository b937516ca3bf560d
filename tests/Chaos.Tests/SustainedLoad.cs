using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Library.Testing;

namespace Library.Chaos.Tests;

/// <summary>
/// A sustained mix of reads and writes against both Gateways, sent as well-behaved clients send it: every write
/// carries an Idempotency-Key and is retried with that key (on the other Gateway first) after a transport failure,
/// a 502/503/504 or an "in progress" 409, for up to <see cref="WriteRetryBudget"/>; a read is retried once on the
/// other Gateway after a transport failure. Every attempt is recorded (when it started, what it was, its status,
/// the phase of the chaos schedule), and every accepted write goes into a ledger that is checked afterwards.
/// </summary>
internal sealed class SustainedLoad(IReadOnlyList<Uri> gateways, string accessToken, IReadOnlyList<string> patrons, IReadOnlyList<string> books)
{
    public static readonly TimeSpan WriteRetryBudget = TimeSpan.FromSeconds(45);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<Sample> _samples = new();
    private readonly Lock _gate = new();
    private readonly HashSet<string> _lent = [];      // books with an accepted borrow and no accepted return since
    private volatile string _phase = "warm-up";

    /// <summary>
    /// One attempt: when it started (since the load began), its kind, status (0: no answer), the phase, and for a
    /// failure what it said (the problem's code, or the exception's type).
    /// </summary>
    public sealed record Sample(TimeSpan At, string Kind, int Status, string Phase, string? Detail = null);

    public sealed record AcceptedBook(string Id, string Key, int Attempts);

    public sealed record AcceptedBorrow(string Location, string BookId, string PatronId);

    public sealed record AcceptedReturn(string BookId, string LoanId);

    public ConcurrentBag<AcceptedBook> Books { get; } = [];

    public ConcurrentBag<string> Patrons { get; } = [];

    public ConcurrentQueue<AcceptedBorrow> Borrows { get; } = new();

    public ConcurrentBag<AcceptedReturn> Returns { get; } = [];

    /// <summary>Writes whose retry budget ran out: not accepted, but they may have been applied.</summary>
    public ConcurrentBag<(string Kind, string Target)> Abandoned { get; } = [];

    /// <summary>Answers no client should get from this mix (e.g. a 400 or 401), with their body: each is a defect.</summary>
    public ConcurrentBag<string> Unexpected { get; } = [];

    public TimeSpan Now => _clock.Elapsed;

    public string Phase
    {
        get => _phase;
        set => _phase = value;
    }

    public IReadOnlyList<Sample> Samples => [.. _samples];

    /// <summary>Runs <paramref name="workers"/> clients until <paramref name="stop"/>, then lets every write in flight finish its retries.</summary>
    public async Task RunAsync(int workers, CancellationToken stop)
    {
        var tasks = Enumerable.Range(0, workers).Select(i => Task.Run(() => WorkerAsync(i, stop), CancellationToken.None)).ToArray();
        await Task.WhenAll(tasks);
    }

    private async Task WorkerAsync(int index, CancellationToken stop)
    {
        var source = GatewayClients.NextClientAddress();
        HttpClient[] clients = [.. gateways.Select(g => Client(g, source))];
        var random = new Random(index * 7919);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var roll = random.Next(100);
                var first = random.Next(clients.Length);
                if (roll < 25)
                {
                    await ReadAsync(clients, first, "GET /books", "/books?author=Soak&limit=20");
                }
                else if (roll < 40)
                {
                    await ReadAsync(clients, first, "GET /books/{id}", $"/books/{books[random.Next(books.Count)]}");
                }
                else if (roll < 47)
                {
                    await ReadAsync(clients, first, "GET /patrons", "/patrons?limit=20");
                }
                else if (roll < 50)
                {
                    await ReadAsync(clients, first, "GET /patrons/{id}", $"/patrons/{patrons[random.Next(patrons.Count)]}");
                }
                else if (roll < 55)
                {
                    await ReadAsync(clients, first, "GET /loans", $"/loans?patronId={patrons[random.Next(patrons.Count)]}&limit=20");
                }
                else if (roll < 60)
                {
                    await AddBookAsync(clients, first);
                }
                else if (roll < 63)
                {
                    await RegisterPatronAsync(clients, first);
                }
                else if (roll < 83)
                {
                    await BorrowAsync(clients, first, random);
                }
                else
                {
                    await ReturnAsync(clients, first, random);
                }

                try
                {
                    await Task.Delay(random.Next(10, 40), stop);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private HttpClient Client(Uri gateway, IPAddress source)
    {
        var client = GatewayClients.Create(gateway, accessToken, source);
        client.Timeout = TimeSpan.FromSeconds(15); // longer than the Gateway's 10 s upstream timeout, so its 503 arrives
        return client;
    }

    private async Task ReadAsync(HttpClient[] clients, int first, string kind, string path)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var (status, body, _) = await SendAsync(clients[(first + attempt) % clients.Length], kind, () => new HttpRequestMessage(HttpMethod.Get, path));
            if (status != 0)
            {
                Expect(kind, status, body, 200);
                return;
            }
        }
    }

    private async Task AddBookAsync(HttpClient[] clients, int first)
    {
        var key = Guid.NewGuid().ToString("N");
        var (status, body, _, attempts) = await WriteAsync(clients, first, "POST /books", "/books", $$"""{"title":"Soak {{key}}","author":"Soak"}""", key);
        if (status == 201)
        {
            Books.Add(new AcceptedBook(body!["id"]!.GetValue<string>(), key, attempts));
        }
        else
        {
            Expect("POST /books", status, body, 201);
        }
    }

    private async Task RegisterPatronAsync(HttpClient[] clients, int first)
    {
        var key = Guid.NewGuid().ToString("N");
        var (status, body, _, _) = await WriteAsync(clients, first, "POST /patrons", "/patrons", $$"""{"firstName":"Soak","lastName":"Load","email":"soak.{{key}}@example.org","membershipTier":"regular"}""", key);
        if (status == 201)
        {
            Patrons.Add(body!["id"]!.GetValue<string>());
        }
        else
        {
            Expect("POST /patrons", status, body, 201);
        }
    }

    private async Task BorrowAsync(HttpClient[] clients, int first, Random random)
    {
        string book;
        lock (_gate)
        {
            var free = books.Where(b => !_lent.Contains(b)).ToList();
            if (free.Count == 0)
            {
                return;
            }

            book = free[random.Next(free.Count)];
            _lent.Add(book); // this client's own claim while it borrows; released below unless the borrow is accepted
        }

        var patron = patrons[random.Next(patrons.Count)];
        var (status, body, location, _) = await WriteAsync(clients, first, "POST /books/{id}/borrow", $"/books/{book}/borrow", $$"""{"patronId":"{{patron}}"}""", Guid.NewGuid().ToString("N"));
        if (status == 202)
        {
            Borrows.Enqueue(new AcceptedBorrow(location!, book, patron));
            return;
        }

        lock (_gate)
        {
            _lent.Remove(book);
        }

        // A book still reserved or lent by an earlier borrow (its saga or return not finished) is a 409.
        Expect("POST /books/{id}/borrow", status, body, 202, 409);
    }

    private async Task ReturnAsync(HttpClient[] clients, int first, Random random)
    {
        string book;
        lock (_gate)
        {
            var lent = Borrows.Select(b => b.BookId).Where(_lent.Contains).Distinct().ToList();
            if (lent.Count == 0)
            {
                return;
            }

            book = lent[random.Next(lent.Count)];
        }

        var (status, body, _, _) = await WriteAsync(clients, first, "POST /books/{id}/return", $"/books/{book}/return", "{}", Guid.NewGuid().ToString("N"));
        if (status == 200)
        {
            Returns.Add(new AcceptedReturn(book, body!["id"]!.GetValue<string>()));
            lock (_gate)
            {
                _lent.Remove(book);
            }

            return;
        }

        // No outstanding loan yet (the saga has not reached Lending) is a 404 or 409; so is a borrow that ended
        // released (its reservation expired, the patron was refused): then the book is free again.
        Expect("POST /books/{id}/return", status, body, 200, 404, 409);
        var borrow = Borrows.Where(b => b.BookId == book).LastOrDefault();
        if (status is 404 or 409 && borrow is not null)
        {
            var (read, operation, _) = await SendAsync(clients[first], "GET /borrow-operations/{id}", () => new HttpRequestMessage(HttpMethod.Get, borrow.Location));
            if (read == 200 && operation?["status"]?.GetValue<string>() == "released")
            {
                lock (_gate)
                {
                    _lent.Remove(book);
                }
            }
        }
    }

    private async Task<(int Status, JsonObject? Body, string? Location, int Attempts)> WriteAsync(HttpClient[] clients, int first, string kind, string path, string json, string key)
    {
        var deadline = Now + WriteRetryBudget;
        var delay = TimeSpan.FromMilliseconds(200);
        for (var attempt = 0; ; attempt++)
        {
            var (status, body, location) = await SendAsync(clients[(first + attempt) % clients.Length], kind, () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json.Body(json) };
                request.Headers.Add("Idempotency-Key", key);
                return request;
            });
            var retry = status is 0 or 502 or 503 or 504
                || (status == 409 && body?["code"]?.GetValue<string>() == "idempotency.in_progress");
            if (!retry)
            {
                return (status, body, location, attempt + 1);
            }

            if (Now + delay > deadline)
            {
                Abandoned.Add((kind, path));
                return (status, body, location, attempt + 1);
            }

            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 1.5, 1000));
        }
    }

    private async Task<(int Status, JsonObject? Body, string? Location)> SendAsync(HttpClient client, string kind, Func<HttpRequestMessage> create)
    {
        var at = Now;
        var phase = _phase;
        try
        {
            using var request = create();
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            JsonObject? body = null;
            if (response.Content.Headers.ContentType?.MediaType is { } media && media.Contains("json", StringComparison.Ordinal) && text.Length > 0)
            {
                body = JsonNode.Parse(text) as JsonObject;
            }

            var detail = (int)response.StatusCode >= 500 ? body?["code"]?.GetValue<string>() ?? (text.Length > 60 ? text[..60] : text) : null;
            _samples.Enqueue(new Sample(at, kind, (int)response.StatusCode, phase, detail));

            return ((int)response.StatusCode, body, LocationOf(response.Headers));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            _samples.Enqueue(new Sample(at, kind, 0, phase, e.InnerException?.GetType().Name ?? e.GetType().Name));
            return (0, null, null);
        }
    }

    private static string? LocationOf(HttpResponseHeaders headers) => headers.Location?.ToString();

    private void Expect(string kind, int status, JsonObject? body, params int[] expected)
    {
        if (status is 0 or >= 500 || expected.Contains(status))
        {
            return; // failures are counted from the samples; the expected answers are fine
        }

        Unexpected.Add($"{kind} {status} {body?.ToJsonString()}");
    }
}
