using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Library.Hosting;
using Library.SharedKernel.Resources;
using Library.Testing;
using Npgsql;

namespace Library.AppHost.Tests;

/// <summary>Servers of the app model of their own, which these tests stop, kill and restart.</summary>
public sealed class RestartableServers() : AppHostServers(ResourceNames.Postgres, ResourceNames.Redis, ResourceNames.Etcd), IAsyncLifetime;

/// <summary>
/// The hosting library's server resources under Aspire's orchestrator: healthy with their secrets in their
/// connection strings, restarted (Aspire's stop and start commands, or after a hard kill) with their data, and gone
/// with their folders when the app stops.
/// </summary>
public sealed class ServerResourceTests(RestartableServers servers) : IClassFixture<RestartableServers>
{
    [Fact]
    public async Task EachServer_IsRunningHealthy_WithAPasswordInItsConnectionString()
    {
        foreach (var name in new[] { ResourceNames.Postgres, ResourceNames.CatalogDb, ResourceNames.Redis })
        {
            (await servers.App.ResourceNotifications.WaitForResourceHealthyAsync(name)).Snapshot.State?.Text.ShouldBe("Running", name);
        }

        servers.ConnectionStrings[ResourceNames.Redis].ShouldContain(",password=");
        new NpgsqlConnectionStringBuilder(servers.ConnectionStrings[ResourceNames.CatalogDb]).Password!.Length.ShouldBeGreaterThanOrEqualTo(16);
        (await servers.App.GetConnectionStringAsync(ResourceNames.Etcd))!.ShouldStartWith("http://");
    }

    [Fact]
    public async Task PostgreSQL_StoppedAndStartedThroughAspire_KeepsItsDataAndRoles_AndAKillIsACrashItRecoversFrom()
    {
        var table = $"kept_{Guid.NewGuid():N}";
        await ExecuteAsync($"CREATE TABLE catalog.{table} (id int); INSERT INTO catalog.{table} VALUES (42)");

        await servers.App.StopResourceAsync(ResourceNames.Postgres);
        var restarted = DateTime.UtcNow;
        await servers.App.StartResourceAsync(ResourceNames.Postgres);
        await servers.App.WaitUntilHealthyAsync(ResourceNames.CatalogDb, restarted);
        (await ScalarAsync($"SELECT id FROM catalog.{table}")).ShouldBe(42);

        // A hard kill of the PID Aspire reports takes the server down with it (nothing is left holding the data
        // folder), and the next start recovers from the write-ahead log.
        var tree = ResourceControl.ProcessTree(servers.App.ProcessId((await servers.App.InstanceIdsAsync(ResourceNames.Postgres)).Single())!.Value);
        tree.Count.ShouldBeGreaterThan(3, "the supervising shell, the postmaster and its workers");
        await servers.App.KillResourceAsync(ResourceNames.Postgres);
        await Poll.UntilAsync(() => tree.All(pid => !Directory.Exists($"/proc/{pid}")), TimeSpan.FromSeconds(10), "every process of the killed server to be gone");
        restarted = DateTime.UtcNow;
        await servers.App.StartResourceAsync(ResourceNames.Postgres);
        await servers.App.WaitUntilHealthyAsync(ResourceNames.CatalogDb, restarted);
        (await ScalarAsync($"SELECT id FROM catalog.{table}")).ShouldBe(42);
    }

    [Fact]
    public async Task Etcd_Restarted_KeepsWhatAnOperatorPut()
    {
        var etcd = new Uri((await servers.App.GetConnectionStringAsync(ResourceNames.Etcd))!);
        using var http = new HttpClient { BaseAddress = etcd };
        var key = Convert.ToBase64String(Encoding.UTF8.GetBytes($"/library/test/{Guid.NewGuid():N}"));
        (await http.PostAsJsonAsync("/v3/kv/put", new { key, value = Convert.ToBase64String("kept"u8.ToArray()) })).EnsureSuccessStatusCode();

        await servers.App.StopResourceAsync(ResourceNames.Etcd);
        await servers.App.StartResourceAsync(ResourceNames.Etcd);

        var range = await (await http.PostAsJsonAsync("/v3/kv/range", new { key })).Content.ReadFromJsonAsync<JsonObject>();
        Encoding.UTF8.GetString(Convert.FromBase64String(range!["kvs"]![0]!["value"]!.GetValue<string>())).ShouldBe("kept");
    }

    [Fact]
    public async Task DisposingTheApp_StopsEveryServerProcess_AndRemovesItsDataFolders()
    {
        var app = await TestSystem.StartServersAsync([ResourceNames.Redis, ResourceNames.Etcd]);
        var redis = app.Resources().OfType<RedisServerResource>().Single();
        var run = Path.GetDirectoryName(redis.DataDirectory)!;
        var pids = new List<int>();
        foreach (var name in new[] { ResourceNames.Redis, ResourceNames.Etcd })
        {
            pids.Add(app.ProcessId((await app.InstanceIdsAsync(name)).Single())!.Value);
        }

        Directory.Exists(run).ShouldBeTrue();

        await app.DisposeAsync();

        foreach (var pid in pids)
        {
            Directory.Exists($"/proc/{pid}").ShouldBeFalse($"process {pid} outlived its app");
        }

        Directory.Exists(run).ShouldBeFalse("the run's data folders are removed with it");
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(servers.ConnectionStrings[ResourceNames.CatalogDb]);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<object?> ScalarAsync(string sql)
    {
        // A new physical connection each time: the pool's connections died with the server.
        await using var connection = new NpgsqlConnection(servers.ConnectionStrings[ResourceNames.CatalogDb] + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
