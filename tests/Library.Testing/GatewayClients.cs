using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Library.Testing;

/// <summary>
/// HTTP clients of a test system, each signing in from its own loopback address (127.0.x.y): per-IP rate limits
/// then apply per client exactly as they would per user, with the Gateway's default limits.
/// </summary>
public static class GatewayClients
{
    private static int s_next;

    public static IPAddress NextClientAddress()
    {
        var n = Interlocked.Increment(ref s_next);
        return new IPAddress([127, (byte)(1 + (n / 250 % 250)), (byte)(n / 62500 % 250), (byte)(2 + (n % 250))]);
    }

    /// <summary>A client bound to <paramref name="source"/> (a fresh loopback address if null), optionally with a bearer token.</summary>
    public static HttpClient Create(Uri baseAddress, string? accessToken = null, IPAddress? source = null)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        var from = source ?? NextClientAddress();
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(from, 0));
                    var host = context.DnsEndPoint.Host is "localhost" ? IPAddress.Loopback : IPAddress.Parse(context.DnsEndPoint.Host);
                    await socket.ConnectAsync(new IPEndPoint(host, context.DnsEndPoint.Port), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = baseAddress };
        if (accessToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        return client;
    }

    public static async Task<TestPrincipal> SignInAsync(Uri gateway, string email, string password, Guid? patronId = null)
    {
        var address = NextClientAddress();
        using var anonymous = Create(gateway, source: address);
        using var response = await anonymous.PostAsJsonAsync("/auth/login", new { email, password });
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new HttpRequestException($"Sign-in of {email} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        var tokens = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var accessToken = tokens["accessToken"]!.GetValue<string>();
        return new TestPrincipal(email, password, patronId, accessToken, tokens["refreshToken"]!.GetValue<string>(), Create(gateway, accessToken, address));
    }

    public static Task<TestPrincipal> SignInAsAdminAsync(Uri gateway)
        => SignInAsync(gateway, TestSystem.AdminEmail, TestSystem.AdminPassword);

    /// <summary>The admin creates a staff account (librarian or admin), which then signs in.</summary>
    public static async Task<TestPrincipal> NewStaffAsync(Uri gateway, HttpClient admin, string role = "librarian")
    {
        ArgumentNullException.ThrowIfNull(admin);
        var email = $"{role}.{Guid.NewGuid():N}@library.test";
        var password = $"Staff{Guid.NewGuid():N}9";
        using var response = await admin.PostAsJsonAsync("/staff", new { email, password, firstName = "Melvil", lastName = "Dewey", role });
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new HttpRequestException($"Creating a {role} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return await SignInAsync(gateway, email, password);
    }

    /// <summary>Registers a patron account through <c>/auth/register</c> and signs it in.</summary>
    public static async Task<TestPrincipal> NewPatronAsync(Uri gateway)
    {
        var email = $"reader.{Guid.NewGuid():N}@example.org";
        var password = $"Reader{Guid.NewGuid():N}7";
        using var anonymous = Create(gateway);
        using var response = await anonymous.PostAsJsonAsync("/auth/register", new { email, password, firstName = "Ada", lastName = "Lovelace" });
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new HttpRequestException($"Registration failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        var patron = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return await SignInAsync(gateway, email, password, Guid.Parse(patron["id"]!.GetValue<string>()));
    }
}

/// <summary>A signed-in test user: their credentials, tokens, and a client that sends the access token.</summary>
public sealed class TestPrincipal(string email, string password, Guid? patronId, string accessToken, string refreshToken, HttpClient client) : IDisposable
{
    public string Email { get; } = email;

    public string Password { get; } = password;

    public Guid? PatronId { get; } = patronId;

    public string AccessToken { get; } = accessToken;

    public string RefreshToken { get; } = refreshToken;

    public HttpClient Client { get; } = client;

    public void Dispose() => Client.Dispose();
}
