using System.Net;
using Library.Gateway.Health;
using Library.Gateway.RateLimiting;
using Library.Gateway.Security;
using Library.SharedKernel.Http;
using Library.SharedKernel.Resilience;
using Library.SharedKernel.Resources;
using Library.SharedKernel.Security;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.HttpOverrides;
using Scalar.AspNetCore;
using Yarp.ReverseProxy.Forwarder;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApiDefaults();
builder.AddRedisClient(ResourceNames.Redis, configureOptions: ClientIntegrations.Redis);

// Destinations such as http://catalog-api resolve through service discovery (services__catalog-api__http__0 under
// the AppHost, DNS under Kubernetes), every instance a destination; YARP re-resolves when discovery changes.
builder.Services.AddReverseProxy()
    .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
    .AddConfigFilter<RoutePolicyFilter>()
    .AddServiceDiscoveryDestinationResolver();

// A probe is one attempt with its own timeout: no retries, and no breaker shared by the three services' probes.
builder.Services.AddHttpClient(DownstreamHealthCheck.HttpClientName, client => client.Timeout = DownstreamHealthCheck.ProbeTimeout)
    .WithoutStandardResilience();
DownstreamHealthCheck.AddDownstreamHealthChecks(builder.Services.AddHealthChecks(), builder.Configuration);

// X-Forwarded-For is honoured only from configured proxies in front of the gateway (none by default). With no
// known proxy the forwarded headers are not read at all: an empty list would make the middleware trust anyone.
var knownProxies = builder.Configuration.GetSection("Gateway:KnownProxies").Get<string[]>() ?? [];
builder.Services.Configure<ForwardedHeadersOptions>(options =>
{
    options.KnownProxies.Clear();
    options.KnownIPNetworks.Clear();
    options.ForwardedHeaders = knownProxies.Length == 0
        ? ForwardedHeaders.None
        : ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
    foreach (var proxy in knownProxies)
    {
        options.KnownProxies.Add(IPAddress.Parse(proxy));
    }
});

// The Gateway validates tokens and enforces each route's policy; the services behind it do both again (SPEC §5).
builder.AddLibraryAuthentication();
builder.Services.AddCircuitBreakers();
var rateLimits = builder.Configuration.GetSection("RateLimits");
builder.Services.AddOptions<RateLimitOptions>().Configure(options =>
{
    foreach (var policy in rateLimits.GetChildren())
    {
        options.Policies[policy.Key] = policy.Get<RateLimitPolicy>() ?? new RateLimitPolicy();
    }
});
builder.Services.AddSingleton<IOptionsChangeTokenSource<RateLimitOptions>>(new ConfigurationChangeTokenSource<RateLimitOptions>(rateLimits));
builder.Services.AddSingleton<DistributedRateLimiter>();

var app = builder.Build();

app.UseForwardedHeaders();
app.UseApiDefaults();
app.UseRouting();
app.UseMiddleware<RateLimitingMiddleware>();
app.UseLibraryAuthentication();
app.MapDefaultEndpoints();
app.MapCircuitsEndpoint();

// One API reference over every service's OpenAPI document, each served through the proxy at /openapi/{service}.json.
app.MapScalarApiReference("/docs", options =>
{
    options.WithTitle("Library API").ExpandAllTags();
    foreach (var document in builder.Configuration.GetSection("Gateway:ApiDocuments").Get<string[]>() ?? [])
    {
        options.AddDocument(document, $"{char.ToUpperInvariant(document[0])}{document[1..]} API", $"/openapi/{document}.json");
    }
}).AllowAnonymous();

app.MapReverseProxy(proxy => proxy.Use(async (context, next) =>
{
    await next();

    // A chunked body that outgrows the limit is only discovered while YARP streams it; answer 413, not 400/502.
    var error = context.GetForwarderErrorFeature();
    if (error?.Error is ForwarderError.RequestBodyClient && error.Exception is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } && !context.Response.HasStarted)
    {
        await Problems.Create(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "The request body is too large.").ExecuteAsync(context);
    }
    else if (error is not null && !context.Response.HasStarted && context.Response.StatusCode >= 500)
    {
        await Problems.Create(StatusCodes.Status503ServiceUnavailable, ProblemCodes.DependencyUnavailable, "The service behind this route is unavailable; retry later.").ExecuteAsync(context);
    }
}));

await app.RunAsync();
