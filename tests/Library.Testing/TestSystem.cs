using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Library.SharedKernel.Resources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Library.Testing;

/// <summary>
/// The real AppHost's app model under Aspire.Hosting.Testing, with the settings every test system shares: random
/// ports (the testing builder's), a known admin, a general rate limit that polling tests cannot exhaust, servers
/// without fsync (their data is thrown away), no telemetry export unless a test asks for it. Test-specific
/// overrides are the AppHost's own settings (<c>--Replicas:…</c>, <c>--ServiceEnvironment:…</c>, <c>--Telemetry:…</c>).
/// Set <c>LIBRARY_TEST_LOGS=1</c> to see every resource's console output.
/// </summary>
public static class TestSystem
{
    public static string AdminEmail => "admin@library.test";

    /// <summary>The bootstrap admin's password: random per test process.</summary>
    public static string AdminPassword { get; } = $"Admin{Guid.NewGuid():N}1";

    public static string[] DefaultArgs =>
    [
        $"--LIBRARY_ADMIN_EMAIL={AdminEmail}", $"--LIBRARY_ADMIN_PASSWORD={AdminPassword}",
        "--ServiceEnvironment:gateway:RateLimits__General__PermitLimit=100000",
        "--Servers:Durable=false",
    ];

    /// <summary>Builds the AppHost's app model with the shared test settings and <paramref name="args"/> (later wins).</summary>
    public static async Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(string[]? args = null, CancellationToken cancellationToken = default)
    {
        string[] all = [.. DefaultArgs, .. args ?? []];
        if (!all.Any(a => a.StartsWith("--Telemetry:", StringComparison.Ordinal)))
        {
            all = [.. all, "--Telemetry:Enabled=false"];
        }

        // Clients reach the Gateways directly (not through the orchestrator's proxy, so that their addresses count):
        // they need real ports, free for this run, one after the other.
        if (!all.Any(a => a.StartsWith("--Gateway:Port=", StringComparison.Ordinal)))
        {
            all = [.. all, $"--Gateway:Port={FreePorts(3)}"];
        }

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(all, cancellationToken);
        builder.Services.AddLogging(logging =>
        {
            logging.ClearProviders();
            if (Environment.GetEnvironmentVariable("LIBRARY_TEST_LOGS") == "1")
            {
                logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information);
            }
        });

        return builder;
    }

    /// <summary>Starts the whole system and waits until the Gateway (and so everything it waits for) is healthy.</summary>
    public static async Task<DistributedApplication> StartAsync(string[]? args = null, CancellationToken cancellationToken = default)
    {
        var builder = await CreateBuilderAsync(args, cancellationToken);
        return await StartAsync(builder, ResourceNames.Gateway, cancellationToken);
    }

    /// <summary>
    /// Only some servers of the app model (with their databases): for a service under test in-process. Every
    /// project and every other server is taken out of the model before it starts.
    /// </summary>
    public static async Task<DistributedApplication> StartServersAsync(IReadOnlyCollection<string> servers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var builder = await CreateBuilderAsync(cancellationToken: cancellationToken);
        bool Kept(IResource resource) => resource is ParameterResource
            || servers.Contains(resource.Name)
            || (resource is IResourceWithParent child && Kept(child.Parent));
        foreach (var resource in builder.Resources.Where(r => !Kept(r)).ToList())
        {
            builder.Resources.Remove(resource);
        }

        var app = await StartAsync(builder, waitFor: null, cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(4));
        try
        {
            foreach (var resource in builder.Resources.Where(r => r is not ParameterResource))
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(resource.Name, timeout.Token);
            }
        }
        catch
        {
            await app.ShutDownAsync();
            throw;
        }

        return app;
    }

    /// <summary>The first of <paramref name="count"/> consecutive ports that are free now, below the ephemeral range.</summary>
    public static int FreePorts(int count)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var first = Random.Shared.Next(20_000, 30_000);
            if (Enumerable.Range(first, count).All(IsFree))
            {
                return first;
            }
        }

        throw new InvalidOperationException($"No {count} consecutive free ports found.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static async Task<DistributedApplication> StartAsync(IDistributedApplicationTestingBuilder builder, string? waitFor, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(4));
        var app = await builder.BuildAsync(timeout.Token);
        try
        {
            await app.StartAsync(timeout.Token);
            if (waitFor is not null)
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(waitFor, timeout.Token);
            }

            return app;
        }
        catch
        {
            await app.ShutDownAsync();
            throw;
        }
    }
}
