using System.Net.Sockets;
using Library.AppHost.Hosting;
using Library.AppHost.Hosting.Resources;
using Library.Testing;

namespace Library.AppHost.Tests;

/// <summary>The orchestrator on cheap real servers (Redis, etcd, PostgreSQL): start, health, exit, stop, cleanup.</summary>
public sealed class OrchestratorTests
{
    [Fact]
    public async Task MissingServerBinary_FailsWithOneLineNamingTheDebianPackage()
    {
        var builder = DistributedApplicationTestingBuilder.Create(["--Redis:Binary=/nonexistent/redis-server"]);
        builder.Builder.AddRedis("redis");
        await using var app = builder.Build();

        var error = await Should.ThrowAsync<MissingPrerequisiteException>(() => app.StartAsync());

        error.Message.ShouldContain("install the Debian package 'redis-server'");
        error.Message.ShouldNotContain('\n');
    }

    [Fact]
    public async Task StartedResources_AreRunningHealthyAndReachable()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        var redis = builder.Builder.AddRedis("redis");
        var etcd = builder.Builder.AddEtcd("etcd");
        await using var app = builder.Build();

        await app.StartAsync();

        redis.Resource.State.ShouldBe(ResourceState.Running);
        redis.Resource.Health.ShouldBe(ResourceHealth.Healthy);
        (await app.GetConnectionStringAsync("redis"))!.ShouldContain("password=");
        using var http = new HttpClient();
        (await http.GetStringAsync(new Uri(etcd.Resource.ConnectionString + "/health"))).ShouldContain("\"health\":\"true\"");
    }

    [Fact]
    public async Task Dispose_StopsEveryProcessFreesEveryPortAndRemovesTheRunFolder()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        var postgres = builder.Builder.AddPostgres("postgres");
        postgres.AddDatabase("somedb", schema: "some");
        var redis = builder.Builder.AddRedis("redis");
        var etcd = builder.Builder.AddEtcd("etcd");
        var app = builder.Build();
        await app.StartAsync();
        var pids = new[] { postgres.Resource.ProcessId!.Value, redis.Resource.ProcessId!.Value, etcd.Resource.ProcessId!.Value };
        var ports = new[] { postgres.Resource.Port, redis.Resource.Port, etcd.Resource.Port };
        var runDirectory = app.RunDirectory!;
        Directory.Exists(runDirectory).ShouldBeTrue();

        await app.DisposeAsync();

        foreach (var pid in pids)
        {
            Native.IsAlive(pid).ShouldBeFalse($"pid {pid} is still alive");
            Native.ProcessesInSession(pid).ShouldBeEmpty();
        }

        foreach (var port in ports)
        {
            PortAllocator.IsFree(port).ShouldBeTrue($"port {port} is still taken");
        }

        Directory.Exists(runDirectory).ShouldBeFalse();
        postgres.Resource.State.ShouldBe(ResourceState.Finished);
    }

    [Fact]
    public async Task ProcessThatDies_IsReportedAsExited()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        var redis = builder.Builder.AddRedis("redis");
        await using var app = builder.Build();
        await app.StartAsync();

        Native.Signal(redis.Resource.ProcessId!.Value, Native.SIGKILL);

        await Poll.UntilAsync(() => redis.Resource.State == ResourceState.Exited, TimeSpan.FromSeconds(10), "redis to be reported as exited");
        redis.Resource.Health.ShouldBe(ResourceHealth.Unhealthy);
    }

    [Fact]
    public async Task TwoRuns_SideBySide_GetDifferentPortsAndFolders()
    {
        var first = DistributedApplicationTestingBuilder.Create();
        var firstRedis = first.Builder.AddRedis("redis");
        var second = DistributedApplicationTestingBuilder.Create();
        var secondRedis = second.Builder.AddRedis("redis");
        await using var firstApp = first.Build();
        await using var secondApp = second.Build();

        await Task.WhenAll(firstApp.StartAsync(), secondApp.StartAsync());

        firstRedis.Resource.Port.ShouldNotBe(secondRedis.Resource.Port);
        firstApp.RunDirectory.ShouldNotBe(secondApp.RunDirectory);
        firstRedis.Resource.Health.ShouldBe(ResourceHealth.Healthy);
        secondRedis.Resource.Health.ShouldBe(ResourceHealth.Healthy);
    }

    [Fact]
    public async Task WaitFor_StartsADependantOnlyAfterItsDependencyIsHealthy()
    {
        var builder = DistributedApplicationTestingBuilder.Create(["--Etcd:Binary=/nonexistent/etcd"]);
        var etcd = builder.Builder.AddEtcd("etcd");
        var redis = builder.Builder.AddRedis("redis").WaitFor(etcd);
        await using var app = builder.Build();

        await Should.ThrowAsync<MissingPrerequisiteException>(() => app.StartAsync());

        redis.Resource.ProcessId.ShouldBeNull();
    }

    [Fact]
    public async Task Sweep_StopsTheProcessesOfACrashedRunAndRemovesItsFolder()
    {
        var root = Directory.CreateTempSubdirectory("library-sweep-").FullName;
        var crashedRun = Directory.CreateDirectory(Path.Combine(root, "crashed")).FullName;
        using var logs = new ResourceLogs(writeToConsole: false, Path.Combine(crashedRun, "logs"));
        var orphan = ManagedProcess.Start("orphan", new ProcessSpec("sleep", ["300"], new Dictionary<string, string>(), crashedRun), logs);
        var deadOwner = System.Diagnostics.Process.Start("true")!;
        await deadOwner.WaitForExitAsync();
        await File.WriteAllTextAsync(Path.Combine(crashedRun, "run.json"), $$"""
            {"OwnerPid":{{deadOwner.Id}},"OwnerStartTime":1,"Children":[{"Resource":"orphan","Pid":{{orphan.Pid}},"StartTime":{{orphan.StartTime}}}]}
            """);

        var swept = RunRegistry.SweepLeftovers(root);

        swept.ShouldHaveSingleItem().ShouldContain("orphan");
        await Poll.UntilAsync(() => !Native.IsAlive(orphan.Pid) || orphan.HasExited, TimeSpan.FromSeconds(5), "the orphan to die");
        Directory.Exists(crashedRun).ShouldBeFalse();
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task Sweep_LeavesARunWhoseOrchestratorIsAliveAlone()
    {
        var root = Directory.CreateTempSubdirectory("library-sweep-").FullName;
        var live = RunRegistry.Create(root);
        using var logs = new ResourceLogs(writeToConsole: false, Path.Combine(live.RunDirectory, "logs"));
        await using var child = ManagedProcess.Start("child", new ProcessSpec("sleep", ["300"], new Dictionary<string, string>(), live.RunDirectory), logs);
        live.Register("child", child);

        RunRegistry.SweepLeftovers(root).ShouldBeEmpty();

        Native.IsAlive(child.Pid).ShouldBeTrue();
        Directory.Exists(live.RunDirectory).ShouldBeTrue();
        await child.StopAsync();
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public void PortAllocator_NeverHandsOutTheSamePortTwice()
    {
        var ports = new PortAllocator();
        var given = Enumerable.Range(0, 50).Select(_ => ports.Next()).ToList();
        given.Distinct().Count().ShouldBe(50);
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, given[0]);
        listener.Start();
    }
}
