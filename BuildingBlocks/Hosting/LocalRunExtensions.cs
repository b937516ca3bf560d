using System.Net;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Library.Hosting;

/// <summary>
/// What an operator can change about a local run from the AppHost's command line, without editing the app model:
/// <list type="bullet">
/// <item><c>--ServiceEnvironment:&lt;resource&gt;:&lt;NAME&gt;=&lt;value&gt;</c>: one more environment variable for one
/// project (e.g. <c>--ServiceEnvironment:gateway:RateLimits__General__PermitLimit=0</c>); applies to its replicas.</item>
/// <item><c>--Replicas:&lt;resource&gt;=N</c>: N instances behind the resource's endpoint (Aspire's <c>WithReplicas</c>).</item>
/// <item><c>--Telemetry:Endpoint=&lt;url&gt;</c> (and <c>--Telemetry:Protocol=grpc|http/protobuf</c>): send every project's
/// OTLP telemetry to another collector than the dashboard; <c>--Telemetry:Enabled=false</c>: export nothing.</item>
/// </list>
/// </summary>
public static partial class LocalRunExtensions
{
    /// <summary>Applies <c>--Replicas:&lt;resource&gt;=N</c> with Aspire's WithReplicas (its endpoint balances over them).</summary>
    public static IResourceBuilder<ProjectResource> WithReplicasFromConfiguration(this IResourceBuilder<ProjectResource> project)
    {
        ArgumentNullException.ThrowIfNull(project);
        return project.ApplicationBuilder.Configuration.GetValue<int?>($"Replicas:{project.Resource.Name}") is { } replicas and > 1
            ? project.WithReplicas(replicas)
            : project;
    }

    /// <summary>
    /// The operator's overrides for a project: <c>--ServiceEnvironment:{settingsName}:…</c> (default: the resource's
    /// name, so that several resources of one service can share them) and <c>--Telemetry:…</c>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithLocalRunSettings(this IResourceBuilder<ProjectResource> project, string? settingsName = null)
    {
        ArgumentNullException.ThrowIfNull(project);
        var configuration = project.ApplicationBuilder.Configuration;
        var name = settingsName ?? project.Resource.Name;

        // Registered after AddProject's own OTLP settings, so these win.
        return project.WithEnvironment(context =>
        {
            // A project flushes telemetry when it stops; the dashboard may already be gone by then, and the
            // default 10 s export timeout outlasts the orchestrator's patience (it then kills `dotnet run` and the
            // service is orphaned until the orchestrator's process monitor finds it).
            context.EnvironmentVariables["OTEL_EXPORTER_OTLP_TIMEOUT"] = "1000";
            if (configuration.GetValue("Telemetry:Enabled", true) is false)
            {
                foreach (var key in context.EnvironmentVariables.Keys.Where(k => k.StartsWith("OTEL_EXPORTER_OTLP_", StringComparison.Ordinal)).ToList())
                {
                    context.EnvironmentVariables.Remove(key);
                }
            }
            else if (configuration["Telemetry:Endpoint"] is { Length: > 0 } endpoint)
            {
                context.EnvironmentVariables["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint;
                context.EnvironmentVariables["OTEL_EXPORTER_OTLP_PROTOCOL"] = configuration["Telemetry:Protocol"] ?? "grpc";
            }

            // Socket completions run on the socket engine's thread instead of waking a thread pool worker for each
            // one: on 2 cores the wake-ups (futex, context switches) were about 40 % of Catalog's samples under the
            // saga, and this took the CPU per saga from 24.9 to 22.3 ms (docs/benchmarks.md). Safe because nothing
            // on a request's or a message's path blocks a thread. --ServiceEnvironment:<name>:DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0
            // turns it off.
            context.EnvironmentVariables["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";

            foreach (var setting in configuration.GetSection($"ServiceEnvironment:{name}").GetChildren())
            {
                if (setting.Value is not null)
                {
                    context.EnvironmentVariables[setting.Key] = setting.Value;
                }
            }
        });
    }

    /// <summary>
    /// Fails at once, in one line, when a fixed port of the run (the Gateway's 8080, the dashboard's) is taken:
    /// usually by a run that is still active. Without this the clash would surface deep in a child's log.
    /// </summary>
    public static void EnsurePortsAreFree(this IDistributedApplicationBuilder builder, params (string What, int? Port)[] ports)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(ports);
        foreach (var (what, port) in ports)
        {
            if (port is { } taken and > 0 && !IsFree(taken))
            {
                throw new PortInUseException($"Port {taken} ({what}) is already in use, probably by another run of the AppHost: stop it first, or choose other ports (see README, AppHost settings).");
            }
        }
    }

    /// <summary>The port of an http(s) URL setting such as ASPNETCORE_URLS (the dashboard's), if it names one.</summary>
    public static int? PortOf(string? urls)
        => urls?.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri.Port : (int?)null).FirstOrDefault(p => p is not null);

    /// <summary>Writes lines to the AppHost's console once <paramref name="resource"/> is ready (e.g. where to sign in).</summary>
    public static IResourceBuilder<T> WithReadyNotice<T>(this IResourceBuilder<T> resource, Func<T, CancellationToken, Task<IEnumerable<string>>> lines)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(lines);
        resource.ApplicationBuilder.Eventing.Subscribe<ResourceReadyEvent>(resource.Resource, async (@event, cancellationToken) =>
        {
            var logger = @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Library.AppHost");
            foreach (var line in await lines(resource.Resource, cancellationToken))
            {
                LogNotice(logger, line);
            }
        });
        return resource;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Line}")]
    private static partial void LogNotice(ILogger logger, string line);

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>A fixed port of the run is taken: one line saying which and why.</summary>
public sealed class PortInUseException(string message) : DistributedApplicationException(message);
