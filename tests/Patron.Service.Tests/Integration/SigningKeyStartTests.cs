using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Library.Patron.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Library.Patron.Tests.Integration;

/// <summary>Issue 11 item 10: the JWKS of a system that has not signed anything yet already names the key the first token will carry.</summary>
public sealed class SigningKeyStartTests(PatronServers servers)
{
    [Fact]
    public async Task WithNoActiveKey_TheServiceCreatesOneAtStart_AndPublishesItBeforeAnySignIn()
    {
        // No key in charge (retired keys stay published for their tokens, so nothing else breaks).
        var retiredAt = DateTimeOffset.UtcNow;
        await using (var before = new PatronApiFactory(servers))
        {
            await using var scope = before.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<PatronDbContext>().SigningKeys.Where(k => k.RetiredAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.RetiredAt, retiredAt));
        }

        await using var factory = new PatronApiFactory(servers);
        using var client = factory.CreateClient();
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var active = await scope.ServiceProvider.GetRequiredService<PatronDbContext>().SigningKeys.AsNoTracking().Where(k => k.RetiredAt == null).ToListAsync();
            active.ShouldNotBeEmpty("a key is in charge as soon as the service has started");
            var jwks = await client.GetFromJsonAsync<JsonObject>("/.well-known/jwks.json");
            jwks!["keys"]!.AsArray().Select(k => k!["kid"]!.GetValue<string>()).ShouldContain(active[0].Kid);
        }
    }
}
