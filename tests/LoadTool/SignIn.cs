using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Library.LoadTool;

/// <summary>
/// Every write route needs a staff token since issue 5: when LIBRARY_ADMIN_EMAIL and LIBRARY_ADMIN_PASSWORD are
/// set (the AppHost prints or takes them) and no Authorization header was given, the tool signs in once and sends
/// the admin's access token (valid 15 minutes) with every request. The token itself is never printed.
/// </summary>
internal static class SignIn
{
    public static async Task<string?> AddAdminTokenAsync(Options options, TextWriter log)
    {
        if (options.Headers.Any(h => h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        var email = Environment.GetEnvironmentVariable("LIBRARY_ADMIN_EMAIL");
        var password = Environment.GetEnvironmentVariable("LIBRARY_ADMIN_PASSWORD");
        if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(password))
        {
            log.WriteLine("no LIBRARY_ADMIN_EMAIL/LIBRARY_ADMIN_PASSWORD: requests are sent anonymously (writes will answer 401)");
            return null;
        }

        using var client = new HttpClient { BaseAddress = options.BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
        using var response = await client.PostAsJsonAsync("/auth/login", new { email, password });
        if (!response.IsSuccessStatusCode)
        {
            return $"signing in as {email} failed: {(int)response.StatusCode}";
        }

        var token = (await response.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
        options.Headers.Add(new KeyValuePair<string, string>("Authorization", $"Bearer {token}"));
        log.WriteLine($"signed in as {email}; requests carry its access token");
        return null;
    }
}
