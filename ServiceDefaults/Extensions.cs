using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Aspire's ServiceDefaults template (telemetry, health checks, service discovery, standard resilience) plus what
/// Library adds: live configuration from etcd, readiness checks from the client integrations, redacted probes.
/// A service runs unchanged under the AppHost or Kubernetes.
/// </summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";
    public const string ReadinessEndpointPath = "/health/ready";
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        // Live configuration: appsettings → etcd (/library/shared, /library/{Etcd:Service}) → environment (SPEC §6).
        ClientIntegrations.DisableTelemetryWhereNotCollected(builder);
        builder.AddEtcdConfiguration("etcd");
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            // HttpClientFactory's per-request logging handlers log at Information, which appsettings turns off for
            // System.Net.Http.HttpClient; they still ran (scopes, timers) on every call: about 4 % of Catalog's CPU
            // under the borrow saga. Traces of each call come from the HttpClient instrumentation, not these.
            http.RemoveAllLoggers();
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        // Telemetry is collected only when there is somewhere to send it (OTEL_EXPORTER_OTLP_ENDPOINT, as Aspire
        // sets for its dashboard): recording spans and metrics that nobody reads cost 2–11 % of throughput in
        // docs/benchmarks.md. W3C trace context still flows: ASP.NET Core, HttpClient and YARP carry traceparent
        // whether or not a listener records the spans.
        if (!TelemetryIsExported(builder.Configuration))
        {
            return builder;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation())
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetrySources.All)
                .AddAspNetCoreInstrumentation(options =>
                    options.Filter = context => !IsHealthPath(context.Request.Path))
                .AddHttpClientInstrumentation())
            .UseOtlpExporter();

        return builder;
    }

    /// <summary>Whether an OTLP endpoint is configured (the AppHost sets one for its dashboard).</summary>
    public static bool TelemetryIsExported(IConfiguration configuration)
        => !string.IsNullOrWhiteSpace(configuration?["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.Services.PostConfigure<HealthCheckServiceOptions>(ClientIntegrations.TagReadinessChecks);
        return builder;
    }

    /// <summary>
    /// Maps /health (every check), /alive (process up) and /health/ready (can serve) in every environment.
    /// Output names each check and its status only: no descriptions, exceptions or data, which could leak secrets.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Probes are anonymous (SPEC §4): orchestrators call them without tokens, and they carry no details.
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions { ResponseWriter = WriteRedactedAsync }).AllowAnonymous();
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(LiveTag),
            ResponseWriter = WriteRedactedAsync,
        }).AllowAnonymous();
        app.MapHealthChecks(ReadinessEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(ReadyTag),
            ResponseWriter = WriteRedactedAsync,
        }).AllowAnonymous();
        return app;
    }

    /// <summary>Whether a path is one of the probes (<c>/health</c>, <c>/health/*</c>, <c>/alive</c>).</summary>
    public static bool IsProbePath(PathString path) => IsHealthPath(path);

    private static bool IsHealthPath(PathString path)
        => path.StartsWithSegments(HealthEndpointPath, StringComparison.OrdinalIgnoreCase)
           || path.StartsWithSegments(AlivenessEndpointPath, StringComparison.OrdinalIgnoreCase);

    private static async Task WriteRedactedAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("status", report.Status.ToString());
        writer.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            writer.WriteString(name, entry.Status.ToString());
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }
}

/// <summary>Activity sources of the client libraries the services use.</summary>
public static class TelemetrySources
{
    // Npgsql's and RabbitMQ.Client's own sources are added by their Aspire integrations.
    public static readonly string[] All = ["Library.Messaging", "Library.Mail"];
}
