using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.Hosting;
using Library.SharedKernel.Resources;
using Library.Testing;
using Microsoft.Extensions.Configuration;

[assembly: AssemblyFixture(typeof(Library.SharedKernel.Tests.ConfigurationEtcd))]

namespace Library.SharedKernel.Tests;

/// <summary>The app model's etcd, for the live-configuration provider's tests.</summary>
public sealed class ConfigurationEtcd() : AppHostServers(ResourceNames.Etcd), IAsyncLifetime;

/// <summary>
/// Issue 11 item 9: the live-configuration provider misses no change made while it is between a read and its watch,
/// or between its reads of the shared and the service's prefix. Each change is made at that very moment (the
/// provider's test seams) and must be applied long before the watch's 15 s renewal would re-read it by chance.
/// </summary>
public sealed class EtcdConfigurationTests(ConfigurationEtcd etcd)
{
    private static readonly TimeSpan WellBeforeRenewal = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task AChangeMadeBetweenTheReadAndTheWatch_IsApplied()
    {
        var service = $"gap-{Guid.NewGuid():N}";
        var endpoint = Endpoint();
        var source = new EtcdConfigurationSource(endpoint, service);
        var once = 0;
        using var configuration = (ConfigurationRoot)new ConfigurationBuilder().Add(new Seeded(source, provider =>
            provider.BeforeWatch = async () =>
            {
                if (Interlocked.Exchange(ref once, 1) == 0)
                {
                    await PutAsync(endpoint, $"/library/{service}/Gap/Value", "changed");
                }
            })).Build();

        await Poll.UntilAsync(() => configuration["Gap:Value"] == "changed", WellBeforeRenewal, "the change made just before the watch to be applied");
    }

    [Fact]
    public async Task AChangeToTheSharedPrefixMadeBetweenTheTwoReads_IsApplied()
    {
        var service = $"gap-{Guid.NewGuid():N}";
        var key = $"Gap{Guid.NewGuid():N}";
        var endpoint = Endpoint();
        var source = new EtcdConfigurationSource(endpoint, service);
        // The first read is the start-up's; the change goes in the second, the one the watch then starts after.
        var reads = 0;
        using var configuration = (ConfigurationRoot)new ConfigurationBuilder().Add(new Seeded(source, provider =>
            provider.BetweenReads = async () =>
            {
                if (Interlocked.Increment(ref reads) == 2)
                {
                    await PutAsync(endpoint, $"/library/shared/{key}", "changed");
                }
            })).Build();

        await Poll.UntilAsync(() => configuration[key] == "changed", WellBeforeRenewal, "the change made between the reads to be applied");
        await DeleteAsync(endpoint, $"/library/shared/{key}");
    }

    private Uri Endpoint() => new(etcd.ConnectionStrings[ResourceNames.Etcd]);

    private static async Task PutAsync(Uri etcd, string key, string value)
    {
        using var http = new HttpClient { BaseAddress = etcd };
        (await http.PostAsJsonAsync("/v3/kv/put", new { key = B64(key), value = B64(value) })).EnsureSuccessStatusCode();
    }

    private static async Task DeleteAsync(Uri etcd, string key)
    {
        using var http = new HttpClient { BaseAddress = etcd };
        (await http.PostAsJsonAsync("/v3/kv/deleterange", new { key = B64(key) })).EnsureSuccessStatusCode();
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>The real source, with the seam set on its provider before the provider's first read.</summary>
    private sealed class Seeded(EtcdConfigurationSource source, Action<EtcdConfigurationProvider> seam) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder)
        {
            var provider = (EtcdConfigurationProvider)source.Build(builder);
            seam(provider);
            return provider;
        }
    }
}
