using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Library.Testing;

namespace Library.Patron.Tests.Integration;

/// <summary>
/// Issue 11 item 4 (decision 0010): refresh tokens rotate; presenting a rotated one again within the reuse grace
/// (5 s) is a client retrying — a sibling is minted and the earlier successor revoked — and after it, or once the
/// successor was itself used, a reuse that revokes the whole family. On a fake clock, both sides of the window.
/// </summary>
public sealed class RefreshRotationTests(PatronServers servers) : IAsyncLifetime
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
    public async Task ARotatedToken_PresentedAgainWithinTheGrace_MintsASibling_AndRevokesTheEarlierSuccessorOnly()
    {
        var first = await SignInAsync();
        var (status, lost) = await RefreshAsync(first);
        status.ShouldBe(HttpStatusCode.OK);

        _factory.Clock.Advance(TimeSpan.FromSeconds(4)); // the client never saw that answer, and retries
        var (retryStatus, sibling) = await RefreshAsync(first);
        retryStatus.ShouldBe(HttpStatusCode.OK, "a retry within the grace is not a theft");
        sibling.ShouldNotBe(lost);

        (await RefreshAsync(lost!)).Status.ShouldBe(HttpStatusCode.Unauthorized, "the earlier successor is revoked: one live token per family");
        var (next, _) = await RefreshAsync(sibling!);
        next.ShouldBe(HttpStatusCode.OK, "the family lives on through the sibling");
    }

    [Fact]
    public async Task ARotatedToken_PresentedAgainAfterTheGrace_RevokesTheWholeFamily()
    {
        var first = await SignInAsync();
        var (_, successor) = await RefreshAsync(first);

        _factory.Clock.Advance(TimeSpan.FromSeconds(6));
        (await RefreshAsync(first)).Status.ShouldBe(HttpStatusCode.Unauthorized);
        (await RefreshAsync(successor!)).Status.ShouldBe(HttpStatusCode.Unauthorized, "reuse after the grace revokes the family");
    }

    [Fact]
    public async Task ARotatedToken_PresentedAgainWithinTheGrace_AfterItsSuccessorWasUsed_RevokesTheWholeFamily()
    {
        var first = await SignInAsync();
        var (_, second) = await RefreshAsync(first);
        var (_, third) = await RefreshAsync(second!);

        _factory.Clock.Advance(TimeSpan.FromSeconds(1));
        (await RefreshAsync(first)).Status.ShouldBe(HttpStatusCode.Unauthorized, "the client had moved on: this is someone else");
        (await RefreshAsync(third!)).Status.ShouldBe(HttpStatusCode.Unauthorized);
    }

    private async Task<string> SignInAsync()
    {
        var email = $"rot.{Guid.NewGuid():N}@example.org";
        var password = $"Pw{Guid.NewGuid():N}3";
        using (var register = await _client.PostAsJsonAsync("/auth/register", new { email, password, firstName = "Ro", lastName = "Tation" }))
        {
            register.StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        using var login = await _client.PostAsJsonAsync("/auth/login", new { email, password });
        login.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (await login.Content.ReadFromJsonAsync<JsonObject>())!["refreshToken"]!.GetValue<string>();
    }

    private async Task<(HttpStatusCode Status, string? RefreshToken)> RefreshAsync(string token)
    {
        using var response = await _client.PostAsJsonAsync("/auth/refresh", new { refreshToken = token });
        return response.StatusCode == HttpStatusCode.OK
            ? (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonObject>())!["refreshToken"]!.GetValue<string>())
            : (response.StatusCode, null);
    }
}
