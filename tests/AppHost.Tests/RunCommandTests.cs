using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Library.AppHost.Hosting;

namespace Library.AppHost.Tests;

/// <summary>The AppHost as a user runs it: a process that starts everything, prints the table, and stops on Ctrl+C.</summary>
public sealed partial class RunCommandTests
{
    private static string AppHostDll => Path.Combine(AppContext.BaseDirectory, "Library.AppHost.dll");

    [Fact]
    public async Task MissingServerBinary_PrintsOneLineAndExitsWithFailure()
    {
        using var process = Start(["--Postgres:BinDirectory=/nonexistent/bin", "--Gateway:Port=0"], Path.GetTempPath());
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        process.ExitCode.ShouldBe(1);
        stderr.Trim().Split('\n').ShouldAllBe(line => line.Contains("install the Debian package"));
        stderr.ShouldContain("'postgresql'");
    }

    [Fact]
    public async Task CtrlC_StopsEveryChildAndFreesEveryPort()
    {
        var dataRoot = Directory.CreateTempSubdirectory("library-run-").FullName;
        using var process = Start(["--Gateway:Port=0", $"--AppHost:DataRoot={dataRoot}"], dataRoot);
        try
        {
            await StartThenInterruptAsync(process, dataRoot);
        }
        finally
        {
            // A failed assertion must not leave the system running: stop it the way a user would.
            if (!process.HasExited)
            {
                Native.Signal(process.Id, Native.SIGINT);
                await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            }

            Directory.Delete(dataRoot, recursive: true);
        }
    }

    private static async Task StartThenInterruptAsync(Process process, string dataRoot)
    {
        var output = new List<string>();
        var healthy = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.Add(e.Data);
            }

            if (e.Data.StartsWith("All resources healthy", StringComparison.Ordinal))
            {
                healthy.TrySetResult();
            }
        };
        process.BeginOutputReadLine();

        var started = await Task.WhenAny(healthy.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromMinutes(3)));
        started.ShouldBe(healthy.Task, string.Join('\n', output.TakeLast(40)));

        string table;
        lock (output)
        {
            table = string.Join('\n', output);
        }

        var gateway = GatewayRow().Match(table);
        gateway.Success.ShouldBeTrue(table);
        using (var http = new HttpClient())
        {
            (await http.GetAsync(new Uri(gateway.Groups[1].Value + "/health"))).IsSuccessStatusCode.ShouldBeTrue();
        }

        var run = Directory.GetDirectories(dataRoot).ShouldHaveSingleItem();
        var children = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(run, "run.json"))).RootElement.GetProperty("Children")
            .EnumerateArray().Select(c => c.GetProperty("Pid").GetInt32()).ToList();
        children.Count.ShouldBe(9); // postgres, redis, epmd, rabbitmq, etcd, patron-api, lending-api, catalog-api, gateway

        Native.Signal(process.Id, Native.SIGINT);
        using (var stopDeadline = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
        {
            await process.WaitForExitAsync(stopDeadline.Token);
        }

        process.ExitCode.ShouldBe(0);

        foreach (var pid in children)
        {
            Native.IsAlive(pid).ShouldBeFalse($"child {pid} outlived the AppHost");
            Native.ProcessesInSession(pid).ShouldBeEmpty();
        }

        PortAllocator.IsFree(new Uri(gateway.Groups[1].Value).Port).ShouldBeTrue();
        Directory.Exists(run).ShouldBeFalse();
    }

    private static Process Start(string[] args, string workingDirectory)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        info.ArgumentList.Add(AppHostDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }

    [GeneratedRegex(@"^gateway\s+Running\s+Healthy\s+(http://localhost:\d+)", RegexOptions.Multiline)]
    private static partial Regex GatewayRow();
}
