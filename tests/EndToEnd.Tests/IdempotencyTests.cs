using Library.Testing;
using System.Net;

namespace Library.EndToEnd.Tests;

public sealed class IdempotencyTests(LibrarySystem system)
{
    private readonly HttpClient _gateway = system.Gateway;

    [Fact]
    public async Task SameKeyAndSameBody_ReplaysTheFirstResponseAndCreatesOneBook()
    {
        var title = Json.Unique("Idempotent");
        var key = Guid.NewGuid().ToString();
        var body = $$"""{"title":"{{title}}","author":"Octavia Butler"}""";

        using var first = await PostAsync(body, key);
        using var second = await PostAsync(body, key);

        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        second.StatusCode.ShouldBe(HttpStatusCode.Created);
        second.Headers.Location.ShouldBe(first.Headers.Location);
        (await second.Content.ReadAsStringAsync()).ShouldBe(await first.Content.ReadAsStringAsync());
        (await _gateway.CountBooksTitledAsync(title)).ShouldBe(1);
    }

    [Fact]
    public async Task SameKeyAndDifferentBody_Is409IdempotencyConflict()
    {
        var key = Guid.NewGuid().ToString();
        using var first = await PostAsync($$"""{"title":"{{Json.Unique("First")}}","author":"A"}""", key);
        var other = Json.Unique("Second");
        using var second = await PostAsync($$"""{"title":"{{other}}","author":"A"}""", key);

        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        second.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await second.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe("idempotency.conflict");
        (await _gateway.CountBooksTitledAsync(other)).ShouldBe(0);
    }

    [Fact]
    public async Task ConcurrentRequestsWithOneKey_CreateOneBookAndAllSeeIt()
    {
        var title = Json.Unique("Concurrent");
        var key = Guid.NewGuid().ToString();
        var body = $$"""{"title":"{{title}}","author":"N. K. Jemisin"}""";

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostAsync(body, key)));

        var statuses = responses.Select(r => r.StatusCode).ToList();
        statuses.ShouldAllBe(s => s == HttpStatusCode.Created || s == HttpStatusCode.Conflict);
        responses.Where(r => r.StatusCode == HttpStatusCode.Created).Select(r => r.Headers.Location).Distinct().Count().ShouldBe(1);
        (await _gateway.CountBooksTitledAsync(title)).ShouldBe(1);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Theory]
    [InlineData("short")]
    [InlineData("has spaces in the key")]
    [InlineData("slash/in/key/is/bad")]
    public async Task MalformedKey_Is400AndWritesNothing(string key)
    {
        var title = Json.Unique("BadKey");
        using var response = await PostAsync($$"""{"title":"{{title}}","author":"A"}""", key);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe("idempotency.key_invalid");
        (await _gateway.CountBooksTitledAsync(title)).ShouldBe(0);
    }

    [Fact]
    public async Task ValidationFailure_WithAKey_IsReplayedAndStillWritesNothing()
    {
        var key = Guid.NewGuid().ToString();
        using var first = await PostAsync("""{"title":"","author":"A"}""", key);
        using var second = await PostAsync("""{"title":"","author":"A"}""", key);

        first.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        second.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await second.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe("validation.failed");
    }

    private Task<HttpResponseMessage> PostAsync(string body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/books") { Content = Json.Body(body) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        return _gateway.SendAsync(request);
    }
}
