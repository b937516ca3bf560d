using System.Text.Json;
using Library.SharedKernel.Domain;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Library.SharedKernel.Http;

/// <summary>
/// The one place where exceptions become problem responses. Client mistakes are 4xx with a stable code;
/// only a genuine server fault is a 500, and its body says nothing about the internals.
/// </summary>
public sealed partial class ProblemExceptionHandler(IProblemDetailsService problemDetails, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var result = Map(exception);

        // A cancellation the client did not ask for is a call inside this service that was given up on (a bound
        // on a dependency): the dependency did not answer in time, not a fault of the request.
        if (result is null && exception is OperationCanceledException && !httpContext.RequestAborted.IsCancellationRequested)
        {
            LogGivenUp(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
            result = Problems.Create(StatusCodes.Status503ServiceUnavailable, ProblemCodes.DependencyUnavailable, "A dependency did not answer in time; retry later.");
        }

        if (result is null)
        {
            LogUnhandled(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
            result = Problems.Create(StatusCodes.Status500InternalServerError, ProblemCodes.Internal, "An unexpected error occurred.");
        }

        var problem = result.ProblemDetails;
        httpContext.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Map(Exception exception) => exception switch
    {
        ValidationException v => Problems.Validation(v.Errors),
        BusinessRuleViolationException b => Problems.Create(StatusFor(b.Rule.Kind), b.Rule.Code, TitleFor(b.Rule.Kind), b.Rule.Message),
        DomainErrorException d => Problems.Create(StatusFor(d.Error.Kind), d.Error.Code, TitleFor(d.Error.Kind), d.Error.Message),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            Problems.Create(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "The request body is too large."),
        BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } b =>
            Problems.Create(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType, "Unsupported media type.", b.Message),
        BadHttpRequestException b => Problems.Create(StatusCodes.Status400BadRequest, ProblemCodes.MalformedRequest, "The request could not be read.", DescribeBadRequest(b)),
        JsonException j => Problems.Create(StatusCodes.Status400BadRequest, ProblemCodes.MalformedRequest, "The request body is not valid JSON for this operation.", j.Path is null ? null : $"Invalid value at '{j.Path}'."),
        DbUpdateConcurrencyException => Problems.Create(StatusCodes.Status409Conflict, ProblemCodes.ConcurrencyConflict, "The resource was changed by another request; retry."),

        // A uniqueness the use case did not check for itself was taken by a concurrent request a moment before (two
        // returns of one loan both write its receipt mail): the same race as a version conflict.
        DbUpdateException { InnerException: PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } } =>
            Problems.Create(StatusCodes.Status409Conflict, ProblemCodes.ConcurrencyConflict, "The resource was changed by another request; retry."),

        // Contention, not a fault of the request: a lock not granted in time, a deadlock, a serialization failure.
        PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure }
            or DbUpdateException { InnerException: PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure } } =>
            Problems.Create(StatusCodes.Status503ServiceUnavailable, ProblemCodes.DependencyUnavailable, "The request met contention in the database; retry."),
        NpgsqlException { IsTransient: true } or TimeoutException or HttpRequestException or StackExchange.Redis.RedisException
            or Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException =>
            Problems.Create(StatusCodes.Status503ServiceUnavailable, ProblemCodes.DependencyUnavailable, "A dependency is unavailable; retry later."),

        // The same, wrapped: EF Core reports a transient database failure as "an exception … likely due to a
        // transient failure" (InvalidOperationException) around the NpgsqlException (found by killing PostgreSQL).
        _ when Messaging.TransientFailures.IsTransient(exception) =>
            Problems.Create(StatusCodes.Status503ServiceUnavailable, ProblemCodes.DependencyUnavailable, "A dependency is unavailable; retry later."),
        _ => null,
    };

    // The framework's message names the parameter and what was wrong with it ("Failed to read parameter
    // \"AddBookRequest request\" from the request body as JSON."); the inner JSON error names the path.
    private static string DescribeBadRequest(BadHttpRequestException exception)
        => exception.InnerException is JsonException { Path: not null } json
            ? $"Invalid value at '{json.Path}'."
            : exception.Message;

    private static int StatusFor(ErrorKind kind) => kind switch
    {
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Unauthenticated => StatusCodes.Status401Unauthorized,
        _ => StatusCodes.Status400BadRequest,
    };

    private static string TitleFor(ErrorKind kind) => kind switch
    {
        ErrorKind.Conflict => "The request conflicts with the current state.",
        ErrorKind.Forbidden => "The request is not allowed.",
        ErrorKind.NotFound => "Not found",
        ErrorKind.Unauthenticated => "Authentication failed.",
        _ => "One or more fields are invalid.",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "A call was given up on (not by the client) for {Method} {Path}: 503")]
    private static partial void LogGivenUp(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception for {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}
