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

    public static IHostApplicationBuilder AddApiDefaults(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var maxBody = long.TryParse(builder.Configuration["Api:MaxRequestBodyBytes"], out var configured) ? configured : DefaultMaxRequestBodyBytes;
        builder.Services.Configure<KestrelServerOptions>(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = maxBody;
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
        app.Use(RejectOversizedDeclaredBodies);
        return app;
    }

    // A declared Content-Length over the limit is refused before any byte of it is read.
    private static Task RejectOversizedDeclaredBodies(HttpContext context, RequestDelegate next)
    {
        var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        if (limit is { } max && context.Request.ContentLength > max)
        {
            return Problems.Create(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "The request body is too large.", $"The limit is {max} bytes.")
                .ExecuteAsync(context);
        }

        return next(context);
    }
}
