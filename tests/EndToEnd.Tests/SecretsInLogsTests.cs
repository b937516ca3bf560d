using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Library.SharedKernel.Resources;
using Library.Testing;
using Npgsql;

namespace Library.EndToEnd.Tests;

/// <summary>SPEC §5: no password, token, key or connection-string password in any log line of any resource, or in a problem body.</summary>
public sealed class SecretsInLogsTests(LibrarySystem system)
{
    [Fact]
    public async Task AfterSignInsRefreshesFailuresAndLogouts_NoResourceLogHoldsASecret()
    {
        using var patron = await system.NewPatronAsync();
        var wrongPassword = $"Wrong-{Guid.NewGuid():N}-9";
        using var anonymous = system.Anonymous();
        using (var failed = await anonymous.PostAsJsonAsync("/auth/login", new { email = patron.Email, password = wrongPassword }))
        {
            failed.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            (await failed.Content.ReadAsStringAsync()).ShouldNotContain(wrongPassword, Case.Sensitive, "a problem body never echoes the password");
        }

        using var refresh = await anonymous.PostAsJsonAsync("/auth/refresh", new { refreshToken = patron.RefreshToken });
        var rotated = (await refresh.Content.ReadFromJsonAsync<JsonObject>())!;
        (await patron.Client.PostAsync("/auth/logout", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await patron.Client.GetAsync("/loans")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var secrets = new List<string>
        {
            TestSystem.AdminPassword, system.Librarian.Password, patron.Password, wrongPassword,
            system.Admin.AccessToken, system.Librarian.AccessToken, patron.AccessToken, patron.RefreshToken,
            rotated["accessToken"]!.GetValue<string>(), rotated["refreshToken"]!.GetValue<string>(),
        };
        foreach (var database in new[] { ResourceNames.CatalogDb, ResourceNames.LendingDb, ResourceNames.PatronDb })
        {
            secrets.Add(new NpgsqlConnectionStringBuilder(await system.App.GetConnectionStringAsync(database)).Password!);
        }

        var redis = (await system.App.GetConnectionStringAsync(ResourceNames.Redis))!;
        secrets.Add(redis.Split(',').Single(p => p.StartsWith("password=", StringComparison.Ordinal))["password=".Length..]);

        // Every console line of every resource (servers, services, the mail capture), as the dashboard shows them.
        var resources = system.App.Resources().Where(r => r is not Aspire.Hosting.ApplicationModel.ParameterResource).ToList();
        resources.Count.ShouldBeGreaterThan(8);
        var lines = 0;
        foreach (var resource in resources)
        {
            var text = string.Join('\n', await system.App.LogsOfAsync(resource.Name));
            lines += text.Length;
            foreach (var secret in secrets)
            {
                text.Contains(secret, StringComparison.Ordinal).ShouldBeFalse($"the logs of {resource.Name} hold a secret ({secret[..Math.Min(4, secret.Length)]}…)");
            }
        }

        lines.ShouldBeGreaterThan(1000, "the resources' logs were read");
    }
}
