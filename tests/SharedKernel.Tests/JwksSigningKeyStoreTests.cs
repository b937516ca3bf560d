using System.Security.Cryptography;
using System.Text.Json;
using Library.SharedKernel.Security;
using Library.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Library.SharedKernel.Tests;

/// <summary>
/// Issue 11 item 10: requests never queue behind the scheduled JWKS refresh (stale-while-revalidate), and a fetch
/// a request must wait for (nothing held yet, an unknown kid) is bounded by a short timeout. The JWKS endpoint is
/// an in-process handler that can be made to hang, the clock a fake.
/// </summary>
public sealed class JwksSigningKeyStoreTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly Jwks _endpoint = new();

    [Fact]
    public async Task PastTheRefreshInterval_ARequestIsAnsweredWithTheKeysHeld_WhileOneBackgroundFetchRenewsThem()
    {
        var store = Store();
        (await store.GetKeysAsync(_endpoint.Kid, CancellationToken.None)).Select(k => k.KeyId).ShouldBe([_endpoint.Kid]);
        store.Fetches.ShouldBe(1);

        _clock.Advance(TimeSpan.FromMinutes(6));
        _endpoint.Hang();
        for (var i = 0; i < 50; i++)
        {
            var keys = store.GetKeysAsync(_endpoint.Kid, CancellationToken.None);
            keys.IsCompleted.ShouldBeTrue("a request with a known kid never waits for the refresh");
            (await keys).Select(k => k.KeyId).ShouldBe([_endpoint.Kid]);
        }

        await Poll.UntilAsync(() => _endpoint.Calls == 2, TimeSpan.FromSeconds(5), "one background fetch");
        store.Fetches.ShouldBe(2, "fifty requests, one refresh");
        _endpoint.Release();
    }

    [Fact]
    public async Task AFetchARequestMustWaitFor_IsBoundedByTheFetchTimeout()
    {
        var store = Store();
        _endpoint.Hang();
        var keys = store.GetKeysAsync(_endpoint.Kid, CancellationToken.None).AsTask();
        await Poll.UntilAsync(() => _endpoint.Calls == 1, TimeSpan.FromSeconds(5), "the first fetch to start");
        keys.IsCompleted.ShouldBeFalse();

        _clock.Advance(TimeSpan.FromSeconds(2)); // Auth:JwksFetchTimeout
        (await keys.WaitAsync(TimeSpan.FromSeconds(5))).ShouldBeEmpty("nothing to validate with: the token is refused, the request not held");
        _endpoint.Release();
    }

    private JwksSigningKeyStore Store()
        => new(new Clients(_endpoint), Options.Create(new AuthOptions { JwksUri = new Uri("http://patron-api/.well-known/jwks.json") }), _clock, NullLogger<JwksSigningKeyStore>.Instance);

    private sealed class Clients(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }

    /// <summary>Serves one RSA key as a JWKS document, or hangs until released.</summary>
    private sealed class Jwks : HttpMessageHandler
    {
        private readonly string _document;
        private TaskCompletionSource? _hang;
        private int _calls;

        public Jwks()
        {
            using var rsa = RSA.Create(2048);
            var parameters = rsa.ExportParameters(false);
            Kid = Guid.NewGuid().ToString("N");
            _document = JsonSerializer.Serialize(new
            {
                keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = Kid, n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) } },
            });
        }

        public string Kid { get; }

        public int Calls => Volatile.Read(ref _calls);

        public void Hang() => _hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _hang?.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            if (_hang is { } hang)
            {
                await hang.Task.WaitAsync(cancellationToken);
            }

            return new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent(_document) };
        }
    }
}
