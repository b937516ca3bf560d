using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Library.Hosting;
using Library.Testing;

namespace Library.AppHost.Tests;

/// <summary>
/// The AppHost as a user runs it (what ./eng/run.sh starts): it prints where the dashboard, the API and the admin's
/// sign-in are, refuses a second run in one line, and leaves nothing behind when stopped (SIGTERM, as Ctrl+C in a
/// script) or killed.
/// </summary>
public sealed partial class RunCommandTests
{
    private const int SIGTERM = 15;
    private const int SIGKILL = 9;

    [Fact]
    public async Task MissingServerBinary_PrintsOneLineNamingThePackage_AndExitsWithFailure()
    {
        using var run = AppHostRun.Start(["--Postgres:BinDirectory=/nonexistent/bin"]);

        (await run.WaitForExitAsync(TimeSpan.FromMinutes(1))).ShouldBe(1);
        var error = run.Errors.Trim();
        error.Split('\n').Length.ShouldBe(1, error);
        error.ShouldContain("install the Debian package 'postgresql'");
    }

    [Fact]
    public async Task TheRun_PrintsTheDashboardApiAndAdmin_RefusesASecondRun_AndSigtermLeavesNothingBehind()
    {
        using var run = AppHostRun.Start([]);
        var login = await run.WaitForLineAsync(DashboardLogin());
        var api = await run.WaitForLineAsync(ApiLine());
        var admin = await run.WaitForLineAsync(AdminLine());

        // What the lines say works: the dashboard serves its login, the API is healthy, the printed admin signs in.
        using (var http = new HttpClient())
        {
            (await http.GetAsync(new Uri(login.Groups[1].Value))).StatusCode.ShouldBe(HttpStatusCode.OK);
            var gateway = new Uri(api.Groups[1].Value);
            (await http.GetAsync(new Uri(gateway, "/health"))).StatusCode.ShouldBe(HttpStatusCode.OK);
            using var signIn = await http.PostAsJsonAsync(new Uri(gateway, "/auth/login"), new { email = admin.Groups[1].Value, password = admin.Groups[2].Value });
            signIn.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        // A second run on the same ports stops at once, in one line.
        using (var second = AppHostRun.Start([], run.Ports))
        {
            (await second.WaitForExitAsync(TimeSpan.FromMinutes(1))).ShouldBe(1);
            second.Errors.Trim().Split('\n').ShouldHaveSingleItem().ShouldContain("already in use");
        }

        var processes = run.ProcessesOfTheRun();
        processes.Count.ShouldBeGreaterThan(10, "the orchestrator, every server and every service");

        run.Signal(SIGTERM);

        (await run.WaitForExitAsync(TimeSpan.FromMinutes(1))).ShouldBe(0, run.Output);
        await Poll.UntilAsync(() => processes.All(p => !IsAlive(p)), TimeSpan.FromSeconds(30), "every process of the run to be gone");
        AppHostRun.IsPortFree(run.Ports.Gateway).ShouldBeTrue();
        Directory.GetDirectories(run.DataRoot, "run-*").ShouldBeEmpty("the run's data folders are removed");
    }

    [Fact]
    public async Task AKilledAppHost_LeavesNoServerOrServiceRunning_AndTheNextRunSweepsItsFolder()
    {
        using var run = AppHostRun.Start([]);
        await run.WaitForLineAsync(ApiLine());
        var processes = run.ProcessesOfTheRun();
        processes.Count.ShouldBeGreaterThan(10);

        run.Signal(SIGKILL);

        // The orchestrator watches the AppHost and removes what it started.
        await Poll.UntilAsync(() => processes.All(p => !IsAlive(p)), TimeSpan.FromSeconds(60), "every process of the killed run to be gone");
        ServerFolders.SweepLeftovers(run.DataRoot).Count.ShouldBe(1, "the killed run's folder is swept by the next run");
    }

    private static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);

    [GeneratedRegex(@"Login to the dashboard at (http://127\.0\.0\.1:\d+/login\?t=\w+)")]
    private static partial Regex DashboardLogin();

    [GeneratedRegex(@"The Library API is at (http://localhost:\d+)")]
    private static partial Regex ApiLine();

    [GeneratedRegex(@"Admin sign-in for this run: (\S+) / (\S+) \(generated")]
    private static partial Regex AdminLine();

    /// <summary>One AppHost process started as run.sh starts it, on ports free for this test, in a data root of its own.</summary>
    private sealed partial class AppHostRun : IDisposable
    {
        private readonly Process _process;
        private readonly List<string> _output = [];
        private readonly List<string> _errors = [];
        private readonly string _marker = Guid.NewGuid().ToString("N");

        private AppHostRun(string[] args, RunPorts? ports)
        {
            Ports = ports ?? new RunPorts(Dashboard: TestSystem.FreePorts(3), Gateway: TestSystem.FreePorts(1));
            DataRoot = Directory.CreateTempSubdirectory("library-run-").FullName;
            File.SetUnixFileMode(DataRoot, (UnixFileMode)0b111_101_101); // 755: the postgres user reaches its folder
            var root = RepositoryRoot();
            var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
            var info = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = Path.Combine(root, "AppHost"),
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true, // nothing of the run reads the test host's stdin
                UseShellExecute = false,
            };
            info.ArgumentList.Add(Path.Combine(root, "AppHost", "bin", configuration, "net10.0", "Library.AppHost.dll"));
            foreach (var arg in (string[])[$"--Gateway:Port={Ports.Gateway}", $"--AppHost:DataRoot={DataRoot}", "--Servers:Durable=false", .. args])
            {
                info.ArgumentList.Add(arg);
            }

            info.Environment["DOTNET_ENVIRONMENT"] = "Development";
            info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Ports.Dashboard}";
            info.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://127.0.0.1:{Ports.Dashboard + 1}";
            info.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://127.0.0.1:{Ports.Dashboard + 2}";
            info.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
            info.Environment["LIBRARY_RUN_MARKER"] = _marker;
            info.Environment.Remove("LIBRARY_ADMIN_PASSWORD");
            info.Environment.Remove("LIBRARY_ADMIN_EMAIL");
            _process = Process.Start(info)!;
            _process.StandardInput.Close();
            _process.OutputDataReceived += (_, e) => Add(_output, e.Data);
            _process.ErrorDataReceived += (_, e) => Add(_errors, e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public RunPorts Ports { get; }

        public string DataRoot { get; }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return string.Join('\n', _output.TakeLast(60));
                }
            }
        }

        public string Errors
        {
            get
            {
                lock (_errors)
                {
                    return string.Join('\n', _errors);
                }
            }
        }

        public static AppHostRun Start(string[] args, RunPorts? ports = null) => new(args, ports);

        public async Task<Match> WaitForLineAsync(Regex pattern)
        {
            var deadline = DateTime.UtcNow.AddMinutes(4);
            while (DateTime.UtcNow < deadline)
            {
                lock (_output)
                {
                    if (_output.Select(line => pattern.Match(line)).FirstOrDefault(m => m.Success) is { } match)
                    {
                        return match;
                    }
                }

                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"The AppHost exited ({_process.ExitCode}) before printing {pattern}:\n{Output}\n{Errors}");
                }

                await Task.Delay(200);
            }

            throw new TimeoutException($"The AppHost did not print {pattern}:\n{Output}");
        }

        public async Task<int> WaitForExitAsync(TimeSpan within)
        {
            using var timeout = new CancellationTokenSource(within);
            await _process.WaitForExitAsync(timeout.Token);
            return _process.ExitCode;
        }

        public void Signal(int signal) => _ = Kill(_process.Id, signal);

        /// <summary>The AppHost's processes: everything that carries this run's marker in its environment, and their descendants.</summary>
        public IReadOnlyList<int> ProcessesOfTheRun()
        {
            var marked = Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(d => d!.All(char.IsAsciiDigit)).Select(d => int.Parse(d!, System.Globalization.CultureInfo.InvariantCulture))
                .Where(pid => pid != Environment.ProcessId && Environ(pid).Contains($"LIBRARY_RUN_MARKER={_marker}", StringComparison.Ordinal));
            return [.. marked.SelectMany(ResourceControl.ProcessTree).Distinct()];
        }

        public static bool IsPortFree(int port)
        {
            try
            {
                using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        }

        public void Dispose()
        {
            // A failed assertion must not leave the system running.
            // Whatever the run still has (also after a SIGKILL of the AppHost, when the orchestrator failed to clean up)
            // is recorded first, then asked to stop, then ended by PID.
            var processes = ProcessesOfTheRun();
            if (!_process.HasExited)
            {
                Signal(SIGTERM);
                _process.WaitForExit(TimeSpan.FromMinutes(1));
            }

            SpinWait.SpinUntil(() => processes.All(p => !IsAlive(p)), TimeSpan.FromSeconds(30));

            foreach (var pid in ProcessesOfTheRun())
            {
                ResourceControl.KillTree(pid);
            }

            _process.Dispose();
            try
            {
                Directory.Delete(DataRoot, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        private static string Environ(int pid)
        {
            try
            {
                return File.ReadAllText($"/proc/{pid}/environ");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return string.Empty;
            }
        }

        private static void Add(List<string> lines, string? line)
        {
            if (line is not null)
            {
                lock (lines)
                {
                    lines.Add(line);
                }
            }
        }

        private static string RepositoryRoot()
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Library.Aspire.sln")))
            {
                directory = directory.Parent;
            }

            return directory?.FullName ?? throw new InvalidOperationException("The repository root was not found.");
        }

        [LibraryImport("libc", EntryPoint = "kill")]
        private static partial int Kill(int pid, int signal);
    }

    private sealed record RunPorts(int Dashboard, int Gateway);
}
