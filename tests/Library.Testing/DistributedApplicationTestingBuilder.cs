using System.Reflection;
using Library.AppHost.Hosting;

namespace Library.Testing;

/// <summary>
/// Shaped like Aspire's DistributedApplicationTestingBuilder over our own orchestrator: take the real AppHost's
/// app model (or start from an empty one), adjust it, build, start. Every port is random, so two test runs on
/// one machine never collide, and disposing the app stops every process it started.
/// </summary>
public sealed class DistributedApplicationTestingBuilder
{
    private DistributedApplicationTestingBuilder(DistributedApplicationBuilder builder) => Builder = builder;

    public DistributedApplicationBuilder Builder { get; }

    public IReadOnlyList<Resource> Resources => Builder.Resources;

    /// <summary>Runs the AppHost's Program up to Build() and returns its app model, with test settings.</summary>
    public static async Task<DistributedApplicationTestingBuilder> CreateAsync<TEntryPoint>(string[]? args = null, CancellationToken cancellationToken = default)
        where TEntryPoint : class
    {
        var entryPoint = typeof(TEntryPoint).Assembly.EntryPoint
            ?? throw new InvalidOperationException($"{typeof(TEntryPoint).Assembly.GetName().Name} has no entry point.");
        DistributedApplicationBuilder? captured = null;
        var options = TestOptions(args);
        await Task.Run(
            () =>
            {
                TestingHook.Set(builder => captured = builder, options);
                try
                {
                    var parameters = entryPoint.GetParameters().Length == 0 ? null : new object[] { Array.Empty<string>() };
                    if (entryPoint.Invoke(null, parameters) is Task task)
                    {
                        task.GetAwaiter().GetResult();
                    }
                }
                catch (TargetInvocationException e) when (e.InnerException is AppModelCapturedException)
                {
                }
                catch (AppModelCapturedException)
                {
                }
            },
            cancellationToken);
        return new DistributedApplicationTestingBuilder(captured ?? throw new InvalidOperationException("The AppHost never called Build()."));
    }

    /// <summary>An empty app model with test settings, for tests that need only some resources.</summary>
    public static DistributedApplicationTestingBuilder Create(string[]? args = null)
        => new(DistributedApplication.CreateBuilder(TestOptions(args)));

    public DistributedApplication Build() => Builder.Build();

    /// <summary>The bootstrap admin of every test system (a fresh random password per test process).</summary>
    public static string AdminEmail => "admin@library.test";

    public static string AdminPassword { get; } = $"Admin{Guid.NewGuid():N}1";

    private static DistributedApplicationOptions TestOptions(string[]? args) => new()
    {
        // Port 0 = any free port: the developer's own run on 8080 and parallel test runs never collide.
        // Each test client signs in from its own loopback address (GatewayClients), so the per-IP login and
        // register limits stay at their defaults; the general budget is raised for suites that poll hard.
        Args = ["--Gateway:Port=0", "--AppHost:ServiceEnvironment=Development",
            $"--LIBRARY_ADMIN_EMAIL={AdminEmail}", $"--LIBRARY_ADMIN_PASSWORD={AdminPassword}",
            "--ServiceEnvironment:gateway:RateLimits__General__PermitLimit=100000", .. args ?? []],
        WriteLogsToConsole = Environment.GetEnvironmentVariable("LIBRARY_TEST_LOGS") == "1",
        Ephemeral = true,
    };
}
