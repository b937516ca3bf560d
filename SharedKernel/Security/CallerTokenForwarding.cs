using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace Library.SharedKernel.Security;

/// <summary>
/// Calls made on behalf of a request carry the caller's own access token, so the service called judges the
/// same principal the first service did (a patron's eligibility check is allowed for that patron only).
/// </summary>
public sealed class CallerTokenForwardingHandler(IHttpContextAccessor accessor) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authorization = accessor.HttpContext?.Request.Headers[HeaderNames.Authorization].ToString();
        if (!string.IsNullOrEmpty(authorization) && request.Headers.Authorization is null)
        {
            request.Headers.TryAddWithoutValidation(HeaderNames.Authorization, authorization);
        }

        return base.SendAsync(request, cancellationToken);
    }
}

public static class CallerTokenForwardingExtensions
{
    public static IHttpClientBuilder ForwardCallerToken(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddTransient<CallerTokenForwardingHandler>();
        return builder.AddHttpMessageHandler<CallerTokenForwardingHandler>();
    }
}
