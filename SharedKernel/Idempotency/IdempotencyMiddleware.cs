using System.Security.Cryptography;
using System.Text;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace Library.SharedKernel.Idempotency;

/// <summary>Marks a POST endpoint as accepting (or requiring) an Idempotency-Key.</summary>
public sealed record IdempotencyMetadata(bool Required);

public static class IdempotencyEndpointExtensions
{
    public const string HeaderName = "Idempotency-Key";

    public static TBuilder AcceptsIdempotencyKey<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new IdempotencyMetadata(Required: false));

    public static TBuilder RequiresIdempotencyKey<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new IdempotencyMetadata(Required: true));

    public static IApplicationBuilder UseIdempotencyReceipts<TDbContext>(this IApplicationBuilder app)
        where TDbContext : DbContext
        => app.UseMiddleware<IdempotencyMiddleware<TDbContext>>();
}

/// <summary>
/// Same key + same request → the stored response again; same key + different request → 409.
/// The receipt row is inserted first inside a transaction that the endpoint's own SaveChanges joins, so
/// a second request with the key blocks on the row lock until the first commits (then it replays) or rolls
/// back (then it proceeds). A bounded lock wait turns a long-running twin into 409 <c>idempotency.in_progress</c>.
/// </summary>
public sealed class IdempotencyMiddleware<TDbContext>(RequestDelegate next, TimeProvider timeProvider)
    where TDbContext : DbContext
{
    private const string ReplayedHeader = "Idempotency-Replayed";
    private static Statements? s_statements;

    public async Task InvokeAsync(HttpContext context, TDbContext db)
    {
        var endpoint = context.GetEndpoint();
        var metadata = endpoint?.Metadata.GetMetadata<IdempotencyMetadata>();
        if (metadata is null || !HttpMethods.IsPost(context.Request.Method))
        {
            await next(context);
            return;
        }

        var values = context.Request.Headers[IdempotencyEndpointExtensions.HeaderName];
        if (values.Count == 0)
        {
            if (metadata.Required)
            {
                await WriteProblemAsync(context, StatusCodes.Status400BadRequest, ProblemCodes.IdempotencyKeyRequired, "An Idempotency-Key header is required for this operation.");
                return;
            }

            await next(context);
            return;
        }

        var key = values.Count == 1 ? values[0] : null;
        if (!IdempotencyKey.IsValid(key))
        {
            await WriteProblemAsync(context, StatusCodes.Status400BadRequest, ProblemCodes.IdempotencyKeyInvalid, "Idempotency-Key must be 8–128 characters of A–Z, a–z, 0–9, '.', '_', ':' or '-'.");
            return;
        }

        var route = (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value ?? "/";
        var principal = context.User.FindFirst("sub")?.Value ?? "anonymous";
        var requestHash = await HashRequestAsync(context.Request, context.RequestAborted);
        var sql = s_statements ??= new Statements(QualifiedTableName(db));
        var ct = context.RequestAborted;

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        int inserted;
        try
        {
            await db.Database.ExecuteSqlRawAsync("SET LOCAL lock_timeout = '10s'", ct);
            inserted = await db.Database.ExecuteSqlRawAsync(
                sql.Insert,
                [principal, context.Request.Method, route, key!, requestHash, timeProvider.UtcNowMicroseconds()],
                ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            await WriteProblemAsync(context, StatusCodes.Status409Conflict, ProblemCodes.IdempotencyInProgress, "A request with this Idempotency-Key is still being processed; retry shortly.");
            return;
        }

        if (inserted == 0)
        {
            var existing = await db.Set<IdempotencyReceipt>().AsNoTracking().SingleAsync(
                r => r.Principal == principal && r.Method == context.Request.Method && r.Route == route && r.Key == key, ct);
            await transaction.RollbackAsync(ct);
            if (!existing.RequestHash.AsSpan().SequenceEqual(requestHash))
            {
                await WriteProblemAsync(context, StatusCodes.Status409Conflict, ProblemCodes.IdempotencyConflict, "This Idempotency-Key was already used for a different request.");
                return;
            }

            await ReplayAsync(context, existing);
            return;
        }

        var originalBody = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = originalBody;
        }

        if (context.Response.StatusCode >= 500)
        {
            await transaction.RollbackAsync(ct);
        }
        else
        {
            var body = buffer.ToArray();
            await db.Database.ExecuteSqlRawAsync(
                sql.Complete,
                [context.Response.StatusCode, (object?)context.Response.ContentType ?? DBNull.Value, (object?)context.Response.Headers.Location.ToString() ?? DBNull.Value, body, principal, context.Request.Method, route, key!],
                ct);
            await transaction.CommitAsync(ct);

            // Before the client sees the answer, so its next read sees its write.
            if (context.RequestServices.GetService(typeof(Caching.CacheInvalidations)) is Caching.CacheInvalidations invalidations)
            {
                await invalidations.FlushAsync();
            }
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(originalBody, ct);
    }

    private sealed class Statements(string table)
    {
        // The table name comes from the EF model, never from a request; values are always parameters.
        public string Insert { get; } = "INSERT INTO " + table + " (principal, method, route, key, request_hash, created_at) VALUES ({0}, {1}, {2}, {3}, {4}, {5}) ON CONFLICT DO NOTHING";

        public string Complete { get; } = "UPDATE " + table + " SET status_code = {0}, content_type = {1}, location = {2}, body = {3} WHERE principal = {4} AND method = {5} AND route = {6} AND key = {7}";
    }

    private static async Task<byte[]> HashRequestAsync(HttpRequest request, CancellationToken ct)
    {
        request.EnableBuffering();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method} {request.Path}{request.QueryString}\n"));
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            hash.AppendData(chunk, 0, read);
        }

        request.Body.Position = 0;
        return hash.GetHashAndReset();
    }

    private static async Task ReplayAsync(HttpContext context, IdempotencyReceipt receipt)
    {
        context.Response.StatusCode = receipt.StatusCode ?? StatusCodes.Status200OK;
        if (receipt.ContentType is not null)
        {
            context.Response.ContentType = receipt.ContentType;
        }

        if (!string.IsNullOrEmpty(receipt.Location))
        {
            context.Response.Headers.Location = receipt.Location;
        }

        context.Response.Headers[ReplayedHeader] = "true";
        if (receipt.Body is { Length: > 0 } body)
        {
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        }
    }

    private static Task WriteProblemAsync(HttpContext context, int status, string code, string title)
        => Problems.Create(status, code, title).ExecuteAsync(context);

    private static string QualifiedTableName(DbContext db)
    {
        var entity = db.Model.FindEntityType(typeof(IdempotencyReceipt))
            ?? throw new InvalidOperationException($"{db.GetType().Name} does not map idempotency receipts; call modelBuilder.AddIdempotencyReceipts().");
        var schema = entity.GetSchema();
        var name = entity.GetTableName();
        return schema is null ? $"\"{name}\"" : $"\"{schema}\".\"{name}\"";
    }
}

/// <summary>SPEC §4: 8–128 characters of <c>[A-Za-z0-9._:-]</c>.</summary>
public static class IdempotencyKey
{
    public static bool IsValid(string? key)
    {
        if (key is null || key.Length is < 8 or > 128)
        {
            return false;
        }

        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
