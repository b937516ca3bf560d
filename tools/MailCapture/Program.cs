using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

// A local stand-in for SendGrid (SPEC §6: in development the AppHost points the services at a capture endpoint).
// It speaks the v3 POST /v3/mail/send API, keeps what it accepted (in memory, for the run), and shows it:
// GET /messages (JSON, newest first: to, subject, text, html, sentAt, key; ?to= filters) and a page at /.
// For failure drills, POST /failures {to, status, count} makes it answer `status` to the next `count` sends to
// that address; GET /attempts lists every send it saw with its answer. GET /health answers 200 once it serves.
var builder = WebApplication.CreateSlimBuilder(args);
var app = builder.Build();
var capture = new MailCapture(app.Configuration["SendGrid:ApiKey"] ?? throw new InvalidOperationException("SendGrid__ApiKey is required: the key senders must present."));
app.MapPost("/v3/mail/send", (Delegate)capture.SendAsync);
app.MapGet("/messages", (string? to) => Results.Json(capture.Messages(to)));
app.MapGet("/attempts", (string? to) => Results.Json(capture.Attempts(to)));
app.MapPost("/failures", (Delegate)capture.AddFailureAsync);
app.MapGet("/health", () => Results.Text("Healthy"));
app.MapGet("/", () => Results.Content(capture.Page(), "text/html; charset=utf-8"));
await app.RunAsync();

internal sealed class MailCapture(string apiKey)
{
    private readonly ConcurrentQueue<CapturedMail> _messages = new();
    private readonly ConcurrentQueue<SendAttempt> _attempts = new();
    private readonly ConcurrentDictionary<string, FailureRule> _failures = new(StringComparer.OrdinalIgnoreCase);

    public IEnumerable<SendAttempt> Attempts(string? to)
        => _attempts.Where(a => to is null || a.To.Equals(to, StringComparison.OrdinalIgnoreCase)).Reverse();

    public async Task<IResult> AddFailureAsync(HttpContext http)
    {
        var rule = JsonNode.Parse(await new StreamReader(http.Request.Body).ReadToEndAsync())!;
        _failures[rule["to"]!.GetValue<string>()] = new FailureRule(rule["status"]!.GetValue<int>(), rule["count"]?.GetValue<int>() ?? int.MaxValue);
        return Results.NoContent();
    }

    public IEnumerable<CapturedMail> Messages(string? to)
        => _messages.Where(m => to is null || m.To.Contains(to, StringComparer.OrdinalIgnoreCase)).Reverse();

    public async Task<IResult> SendAsync(HttpContext http)
    {
        if (http.Request.Headers.Authorization.ToString() != $"Bearer {apiKey}")
        {
            return Results.Json(new { errors = new[] { new { message = "The provided authorization grant is invalid, expired, or revoked" } } }, statusCode: 401);
        }

        JsonNode? body;
        try
        {
            body = JsonNode.Parse(await new StreamReader(http.Request.Body).ReadToEndAsync());
        }
        catch (System.Text.Json.JsonException)
        {
            return Results.Json(new { errors = new[] { new { message = "Bad Request" } } }, statusCode: 400);
        }

        var to = body?["personalizations"]?.AsArray().SelectMany(p => p!["to"]!.AsArray()).Select(t => t!["email"]!.GetValue<string>()).ToArray() ?? [];
        var subject = body?["subject"]?.GetValue<string>() ?? body?["personalizations"]?[0]?["subject"]?.GetValue<string>();
        var contents = body?["content"]?.AsArray() ?? [];
        string? Content(string type) => contents.FirstOrDefault(c => c!["type"]!.GetValue<string>() == type)?["value"]?.GetValue<string>();
        if (to.Length == 0 || subject is null || body?["from"]?["email"] is null)
        {
            return Results.Json(new { errors = new[] { new { message = "to, from and subject are required" } } }, statusCode: 400);
        }

        foreach (var recipient in to)
        {
            if (_failures.TryGetValue(recipient, out var rule) && rule.Count > 0)
            {
                _failures[recipient] = rule with { Count = rule.Count - 1 };
                _attempts.Enqueue(new SendAttempt(recipient, subject, rule.Status, DateTimeOffset.UtcNow));
                return Results.Json(new { errors = new[] { new { message = $"Injected failure {rule.Status}" } } }, statusCode: rule.Status);
            }
        }

        foreach (var recipient in to)
        {
            _attempts.Enqueue(new SendAttempt(recipient, subject, 202, DateTimeOffset.UtcNow));
        }

        _messages.Enqueue(new CapturedMail(to, body!["from"]!["email"]!.GetValue<string>(), subject, Content("text/plain"), Content("text/html"), DateTimeOffset.UtcNow, (body["custom_args"] ?? body["personalizations"]?[0]?["custom_args"])?["mailKey"]?.GetValue<string>()));
        http.Response.Headers["X-Message-Id"] = Guid.NewGuid().ToString("N");
        return Results.StatusCode(202);
    }

    public string Page()
    {
        var html = new StringBuilder("<!doctype html><meta charset=utf-8><title>Captured mail</title><h1>Captured mail</h1>");
        foreach (var mail in Messages(null))
        {
            html.Append(CultureInfo.InvariantCulture, $"<section><h2>{WebUtility.HtmlEncode(mail.Subject)}</h2><p>To {WebUtility.HtmlEncode(string.Join(", ", mail.To))} at {mail.SentAt:u}</p><pre>{WebUtility.HtmlEncode(mail.Text ?? string.Empty)}</pre></section>");
        }

        return html.ToString();
    }

    private sealed record FailureRule(int Status, int Count);

    public sealed record CapturedMail(string[] To, string From, string Subject, string? Text, string? Html, DateTimeOffset SentAt, string? Key);

    public sealed record SendAttempt(string To, string Subject, int Status, DateTimeOffset At);
}
