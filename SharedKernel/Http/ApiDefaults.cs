using Library.SharedKernel.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Library.SharedKernel.Http;

/// <summary>
/// The HTTP behaviour every Library API shares: the JSON wire contract, problem details with a stable
/// code, one exception handler, and a request-size limit (SPEC §4).
/// </summary>
public static class ApiDefaults
{
    /// <summary>Bodies of this API are small JSON documents; anything bigger is refused with 413.</summary>
    public const long DefaultMaxRequestBodyBytes = 64 * 1024;

    /// <summary>The longest request target (path and query) answered: longer is a 414 problem.</summary>
    public const int MaxRequestTargetBytes = 8 * 1024;

    /// <summary>
    /// Where the server itself stops reading a request line (a bare 414, no body): far beyond
    /// <see cref="MaxRequestTargetBytes"/>, so that a too-long target gets this API's problem answer (Kestrel's own
    /// limit, 8 KiB by default, would answer before any middleware runs).
    /// </summary>
    public const int MaxRequestLineBytes = 64 * 1024;

    public static IHostApplicationBuilder AddApiDefaults(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var maxBody = long.TryParse(builder.Configuration["Api:MaxRequestBodyBytes"], out var configured) ? configured : DefaultMaxRequestBodyBytes;
        builder.Services.Configure<KestrelServerOptions>(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = maxBody;
            kestrel.Limits.MaxRequestLineSize = MaxRequestLineBytes;
            kestrel.AddServerHeader = false;
        });
        builder.Services.ConfigureHttpJsonOptions(options => LibraryJson.Configure(options.SerializerOptions));

        // Binding failures (malformed JSON, wrong types) are thrown so the exception handler answers them
        // with the same problem shape as every other error, in every environment.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = Problems.Enrich);
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    public static IApplicationBuilder UseApiDefaults(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(RejectOversizedRequests);
        return app;
    }

    // A request target over its limit is refused (414); a declared Content-Length over the limit is refused before any
    // byte of it is read; so is a NUL in the path or the query (no value of this API can hold one, and PostgreSQL cannot store or compare it).
    private static Task RejectOversizedRequests(HttpContext context, RequestDelegate next)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (target?.Length > MaxRequestTargetBytes)
        {
            return Problems.Create(StatusCodes.Status414UriTooLong, ProblemCodes.UriTooLong, "The request's path and query are too long.", $"The limit is {MaxRequestTargetBytes} bytes.")
                .ExecuteAsync(context);
        }

        if (context.Request.Path.Value?.Contains('\0', StringComparison.Ordinal) == true
            || context.Request.QueryString.Value?.Contains("%00", StringComparison.Ordinal) == true)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, ProblemCodes.MalformedRequest, "The request could not be read.", "The path or query contains the NUL character.")
                .ExecuteAsync(context);
        }

        var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        if (limit is { } max && context.Request.ContentLength > max)
        {
            // The body is not read, so the connection cannot carry another request: say so, or a client would send
            // its next request on a connection the server is about to close (and lose it).
            context.Response.Headers.Connection = "close";
            return Problems.Create(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "The request body is too large.", $"The limit is {max} bytes.")
                .ExecuteAsync(context);
        }

        return next(context);
    }
}
