using Aspire.Hosting;
using Library.Testing;
using System.Net;
using System.Text;

namespace Library.EndToEnd.Tests;

/// <summary>Whatever a client sends, the answer is a 4xx problem with a stable code, never a 500, and nothing is written.</summary>
public sealed class BadInputTests(LibrarySystem system)
{
    private readonly HttpClient _gateway = system.Gateway;

    public static TheoryData<string, string, string> BadBodies()
    {
        var marker = "BadInput-" + Guid.NewGuid().ToString("N");
        return new TheoryData<string, string, string>
        {
            { "malformed JSON", $$"""{"title":"{{marker}}","author":""", "request.malformed" },
            { "not an object", $"\"{marker}\"", "request.malformed" },
            { "title is a number", """{"title":42,"author":"A"}""", "request.malformed" },
            { "title is an object", """{"title":{"x":1},"author":"A"}""", "request.malformed" },
            { "empty title", """{"title":"","author":"A"}""", "validation.failed" },
            { "whitespace title", """{"title":"   ","author":"A"}""", "validation.failed" },
            { "missing author", $$"""{"title":"{{marker}}"}""", "validation.failed" },
            { "title over 200", $$"""{"title":"{{marker}}{{new string('x', 200)}}","author":"A"}""", "validation.failed" },
            { "author over 200", $$"""{"title":"{{marker}}","author":"{{new string('a', 201)}}"}""", "validation.failed" },
            { "bad ISBN checksum", $$"""{"title":"{{marker}}","author":"A","isbn":"978-0-441-17271-8"}""", "validation.failed" },
            { "ISBN with letters", $$"""{"title":"{{marker}}","author":"A","isbn":"97800605127AB"}""", "validation.failed" },
            { "ISBN too long", $$"""{"title":"{{marker}}","author":"A","isbn":"97800605127531234"}""", "validation.failed" },
            { "ISBN is a number", $$"""{"title":"{{marker}}","author":"A","isbn":9780060512753}""", "request.malformed" },
            { "null body", "null", "request.malformed" },
        };
    }

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task PostBook_WithBadBody_Is400ProblemAndWritesNothing(string why, string body, string code)
    {
        using var response = await _gateway.PostAsync("/books", Json.Body(body));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, why);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = await response.ReadObjectAsync();
        problem["code"]!.GetValue<string>().ShouldBe(code, why);
        problem["traceId"]!.GetValue<string>().ShouldNotBeNullOrEmpty();
        (await _gateway.CountBooksTitledAsync("BadInput-")).ShouldBe(0);
    }

    /// <summary>
    /// A path and query over 8 KiB (found by the route fuzzer: a cursor and other parameters, each long) is a 414
    /// problem from the Gateway and from a service called directly, not the server's bare 414; a POST so refused
    /// writes nothing.
    /// </summary>
    [Theory]
    [InlineData("gateway")]
    [InlineData("catalog-api")]
    public async Task ARequestTargetOver8KiB_IsA414Problem_AndWritesNothing(string resource)
    {
        using var client = new HttpClient { BaseAddress = system.App.GetEndpoint(resource) };
        client.DefaultRequestHeaders.Authorization = _gateway.DefaultRequestHeaders.Authorization;
        var marker = "BadInput-" + Guid.NewGuid().ToString("N");
        var longQuery = $"?cursor={new string('A', 5000)}&title={new string('t', 4000)}";

        using var read = await client.GetAsync("/books" + longQuery);
        using var write = await client.PostAsync("/books" + longQuery, Json.Body($$"""{"title":"{{marker}}","author":"A"}"""));
        using var justUnder = await client.GetAsync($"/books?cursor={new string('A', 8000)}");

        foreach (var response in new[] { read, write })
        {
            response.StatusCode.ShouldBe(HttpStatusCode.RequestUriTooLong);
            response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
            (await response.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe("request.uri_too_long");
        }

        justUnder.StatusCode.ShouldNotBe(HttpStatusCode.RequestUriTooLong, "8,000 bytes of query are within the limit");
        (await _gateway.CountBooksTitledAsync(marker)).ShouldBe(0);
    }

    [Fact]
    public async Task PostBook_WithSeveralBadFields_NamesEveryOne()
    {
        using var response = await _gateway.PostAsync("/books", Json.Body("""{"title":"","author":"","isbn":"123"}"""));

        var errors = (await response.ReadObjectAsync())["errors"]!.AsObject();
        errors.Select(e => e.Key).Order().ShouldBe(["author", "isbn", "title"]);
    }

    [Fact]
    public async Task PostBook_WithTextPlain_Is415()
    {
        using var response = await _gateway.PostAsync("/books", new StringContent("""{"title":"x","author":"y"}""", Encoding.UTF8, "text/plain"));

        response.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        (await response.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe("request.unsupported_media_type");
    }

    [Fact]
    public async Task PostBook_WithEmptyBody_Is400()
    {
        using var response = await _gateway.PostAsync("/books", new StringContent(string.Empty, Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task PostBook_With10MegabyteBody_Is413()
    {
        var huge = $$"""{"title":"{{new string('x', 10 * 1024 * 1024)}}","author":"A"}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/books") { Content = Json.Body(huge) };

        // As curl does for large bodies: the server can refuse before the body is sent.
        request.Headers.ExpectContinue = true;
        using var response = await _gateway.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        (await response.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe("request.too_large");
    }

    [Fact]
    public async Task PostBook_WithOversizedChunkedBody_Is413()
    {
        // Past the 64 KiB limit, yet small enough to fit in loopback socket buffers, so the client has finished
        // writing when the server answers (a larger body would be cut off mid-write, which is correct but untestable).
        var chunks = new ChunkedContent(Encoding.UTF8.GetBytes($$"""{"title":"{{new string('x', 66 * 1024)}}","author":"A"}"""));
        using var response = await _gateway.PostAsync("/books", chunks);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData("/books/not-a-uuid", HttpStatusCode.BadRequest)]
    [InlineData("/books/00000000-0000-0000-0000-000000000000", HttpStatusCode.BadRequest)]
    [InlineData("/books/01a20971-be1d-780c-8206-3b2a5a2f9e5f", HttpStatusCode.NotFound)]
    [InlineData("/books?limit=0", HttpStatusCode.BadRequest)]
    [InlineData("/books?limit=1000", HttpStatusCode.BadRequest)]
    [InlineData("/books?limit=abc", HttpStatusCode.BadRequest)]
    [InlineData("/books?limit=99999999999999", HttpStatusCode.BadRequest)]
    [InlineData("/books?status=lost", HttpStatusCode.BadRequest)]
    [InlineData("/books?status=1", HttpStatusCode.BadRequest)]
    [InlineData("/books?cursor=garbage", HttpStatusCode.BadRequest)]
    [InlineData("/no-such-route", HttpStatusCode.NotFound)]
    public async Task Get_WithBadParameters_IsAProblemNeverA500(string url, HttpStatusCode expected)
    {
        using var response = await _gateway.GetAsync(url);

        response.StatusCode.ShouldBe(expected);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await response.ReadObjectAsync())["code"]!.GetValue<string>().ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task Get_WithAnOverlongTitleFilter_Is400()
    {
        using var response = await _gateway.GetAsync($"/books?title={new string('x', 201)}");
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    private sealed class ChunkedContent(byte[] payload) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            for (var offset = 0; offset < payload.Length; offset += 16 * 1024)
            {
                await stream.WriteAsync(payload.AsMemory(offset, Math.Min(16 * 1024, payload.Length - offset)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
