namespace Library.SharedKernel.Http;

/// <summary>
/// Codes that the platform itself produces. Context-specific codes live with their rules; the closed
/// list of all codes is docs/error-codes.md.
/// </summary>
public static class ProblemCodes
{
    public const string ValidationFailed = "validation.failed";
    public const string MalformedRequest = "request.malformed";
    public const string PayloadTooLarge = "request.too_large";
    public const string UriTooLong = "request.uri_too_long";
    public const string UnsupportedMediaType = "request.unsupported_media_type";
    public const string RouteNotFound = "route.not_found";
    public const string MethodNotAllowed = "route.method_not_allowed";
    public const string IdempotencyKeyRequired = "idempotency.key_required";
    public const string IdempotencyKeyInvalid = "idempotency.key_invalid";
    public const string IdempotencyConflict = "idempotency.conflict";
    public const string IdempotencyInProgress = "idempotency.in_progress";
    public const string ConcurrencyConflict = "concurrency.conflict";
    public const string DependencyUnavailable = "dependency.unavailable";
    public const string Unauthenticated = "auth.unauthenticated";
    public const string Forbidden = "auth.forbidden";
    public const string RateLimited = "rate_limit.exceeded";
    public const string Internal = "internal.error";
}
