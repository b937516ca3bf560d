using Library.Testing;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Library.EndToEnd.Tests;

public sealed class BooksThroughGatewayTests(LibrarySystem system)
{
    private readonly HttpClient _gateway = system.Gateway;

    [Fact]
    public async Task AddBook_Returns201WithRelativeLocationAndTheBook()
    {
        var title = Json.Unique("The Dispossessed");
        using var response = await _gateway.PostAsync("/books", Json.Body($$"""{"title":"  {{title}}  ","author":"Ursula   K. Le Guin","isbn":"978-0-441-17271-9"}"""));

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var book = await response.ReadObjectAsync();
        response.Headers.Location!.ToString().ShouldBe($"/books/{book["id"]}");
        book["title"]!.GetValue<string>().ShouldBe(title);
        book["author"]!.GetValue<string>().ShouldBe("Ursula K. Le Guin");
        book["isbn"]!.GetValue<string>().ShouldBe("9780441172719");
        book["status"]!.GetValue<string>().ShouldBe("available");
        book["version"]!.GetValue<int>().ShouldBe(1);
        Guid.Parse(book["id"]!.GetValue<string>()).Version.ShouldBe(7);
    }

    [Fact]
    public async Task GetBook_ReturnsExactlyWhatTheCreateReturned()
    {
        using var created = await _gateway.PostAsync("/books", Json.Body($$"""{"title":"{{Json.Unique("Lathe")}}","author":"Le Guin"}"""));
        var createdBody = await created.Content.ReadAsStringAsync();

        using var read = await _gateway.GetAsync(created.Headers.Location);

        read.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await read.Content.ReadAsStringAsync()).ShouldBe(createdBody);
    }

    [Fact]
    public async Task AddBook_WithoutIsbn_StoresNull()
    {
        var book = await _gateway.AddBookAsync(Json.Unique("No ISBN"));
        book["isbn"].ShouldBeNull();
        book.ContainsKey("isbn").ShouldBeTrue();
    }

    [Fact]
    public async Task AddBook_WithIsbn10EndingInX_IsAccepted()
    {
        var book = await _gateway.AddBookAsync(Json.Unique("Isbn10"), isbn: "0-8044-2957-x");
        book["isbn"]!.GetValue<string>().ShouldBe("080442957X");
    }

    [Fact]
    public async Task GetBook_ThatDoesNotExist_Is404WithCode()
    {
        using var response = await _gateway.GetAsync($"/books/{Guid.CreateVersion7()}");
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await response.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe("book.not_found");
    }

    [Fact]
    public async Task ListBooks_FiltersByCaseInsensitiveSubstringOfTitleAndAuthor()
    {
        var marker = Guid.NewGuid().ToString("N");
        await _gateway.AddBookAsync($"Wizard of Earthsea {marker}", "Ursula K. Le Guin");
        await _gateway.AddBookAsync($"Tombs of Atuan {marker}", "Ursula K. Le Guin");
        await _gateway.AddBookAsync($"Neuromancer {marker}", "William Gibson");

        var byTitle = await _gateway.GetFromJsonAsync<JsonObject>($"/books?title=EARTHSEA {marker.ToUpperInvariant()}");
        byTitle!["items"]!.AsArray().Select(b => b!["title"]!.GetValue<string>()).ShouldBe([$"Wizard of Earthsea {marker}"]);

        var byAuthor = await _gateway.GetFromJsonAsync<JsonObject>($"/books?title={marker}&author=le%20GUIN");
        byAuthor!["items"]!.AsArray().Count.ShouldBe(2);

        var available = await _gateway.GetFromJsonAsync<JsonObject>($"/books?title={marker}&status=available");
        available!["items"]!.AsArray().Count.ShouldBe(3);

        var borrowed = await _gateway.GetFromJsonAsync<JsonObject>($"/books?title={marker}&status=borrowed");
        borrowed!["items"]!.AsArray().Count.ShouldBe(0);
    }

    [Fact]
    public async Task ListBooks_TreatsLikeWildcardsAsLiteralText()
    {
        var marker = Guid.NewGuid().ToString("N");
        await _gateway.AddBookAsync($"100% {marker}");
        await _gateway.AddBookAsync($"100 {marker}");

        var page = await _gateway.GetFromJsonAsync<JsonObject>($"/books?title={Uri.EscapeDataString("100% " + marker)}");
        page!["items"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task ListBooks_WalksEveryPageInIdOrderWithoutDuplicates()
    {
        var marker = Guid.NewGuid().ToString("N");
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add((await _gateway.AddBookAsync($"Paged {i} {marker}"))["id"]!.GetValue<string>());
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var url = $"/books?title={marker}&limit=3" + (cursor is null ? string.Empty : $"&cursor={cursor}");
            var page = await _gateway.GetFromJsonAsync<JsonObject>(url);
            seen.AddRange(page!["items"]!.AsArray().Select(b => b!["id"]!.GetValue<string>()));
            cursor = page["nextCursor"]?.GetValue<string>();
            pages++;
        }
        while (cursor is not null && pages < 10);

        pages.ShouldBe(3);
        seen.ShouldBe(ids);
    }

    [Fact]
    public async Task ListBooks_WithACursorFromAnotherQuery_Is400()
    {
        var marker = Guid.NewGuid().ToString("N");
        await _gateway.AddBookAsync($"Cursor A {marker}");
        await _gateway.AddBookAsync($"Cursor B {marker}");
        var first = await _gateway.GetFromJsonAsync<JsonObject>($"/books?title={marker}&limit=1");
        var cursor = first!["nextCursor"]!.GetValue<string>();

        using var response = await _gateway.GetAsync($"/books?title=something-else&limit=1&cursor={cursor}");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await response.ReadObjectAsync();
        problem["code"]!.GetValue<string>().ShouldBe("validation.failed");
        problem["errors"]!["cursor"].ShouldNotBeNull();
    }
}
