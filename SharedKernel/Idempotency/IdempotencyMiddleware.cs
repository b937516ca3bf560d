using System.Security.Cryptography;
using System.Text;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Library.SharedKernel.Persistence;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

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
        where TDbContext : Persistence.LibraryDbContext
        => app.UseMiddleware<IdempotencyMiddleware<TDbContext>>();
}

/// <summary>
/// Same key + same request → the stored response again; same key + different request → 409 (SPEC §4, decision
/// 0002). Every final answer is stored, a problem (4xx) as much as a success; a failure of ours (5xx) is not, so a
/// retry may still succeed.
/// <list type="number">
/// <item>A completed receipt answers at once, without a transaction.</item>
/// <item>Otherwise the use case runs. Its first write (<c>SaveChanges</c>) claims the key: the receipt row is
/// inserted first in the transaction that carries the change, with a lock timeout scoped to that insert; a twin
/// in flight holds the row, and waiting for it longer than the bound answers 409 <c>idempotency.in_progress</c>.
/// Nothing is held before that write (a call to another service, a read).</item>
/// <item>A success commits the change with its stored answer. A problem answer (an exception turned into a
/// problem, or a 4xx result) rolls the change back to the claim and commits the receipt with the problem. A use
/// case that wrote nothing claims the key and stores its answer in one statement.</item>
/// </list>
/// A use case behind a key writes through <c>SaveChanges</c>, which claims the key before anything else.
/// </summary>
public sealed class IdempotencyMiddleware<TDbContext>(RequestDelegate next, TimeProvider timeProvider)
    where TDbContext : LibraryDbContext
{
    private const string ReplayedHeader = "Idempotency-Replayed";

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
        var receipt = new PendingReceipt(principal, context.Request.Method, route, key!, requestHash, timeProvider.UtcNowMicroseconds());
        if (await FindCompletedAsync(db, receipt, context.RequestAborted) is { } completed)
        {
            await AnswerFromAsync(context, completed, receipt);
            return;
        }

        var originalBody = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        db.PendingReceipt = receipt;
        try
        {
            await RunUseCaseAsync(context);
        }
        catch (IdempotencyKeyTakenException taken)
        {
            // A twin holds the key, or completed while this request ran: its answer is the answer.
            await RollbackAsync(db);
            context.Response.Body = originalBody;
            ResetResponse(context);
            if (!taken.InProgress && await FindCompletedAsync(db, receipt, context.RequestAborted) is { } theirs)
            {
                await AnswerFromAsync(context, theirs, receipt);
            }
            else
            {
                await WriteProblemAsync(context, StatusCodes.Status409Conflict, ProblemCodes.IdempotencyInProgress, "A request with this Idempotency-Key is still being processed; retry shortly.");
            }

            return;
        }
        finally
        {
            db.PendingReceipt = null;
            context.Response.Body = originalBody;
        }

        (bool Ours, IdempotencyReceipt? Receipt) stored;
        try
        {
            stored = await CompleteAsync(context, db, receipt, buffer.ToArray());
        }
        catch (IdempotencyKeyTakenException)
        {
            ResetResponse(context);
            await WriteProblemAsync(context, StatusCodes.Status409Conflict, ProblemCodes.IdempotencyInProgress, "A request with this Idempotency-Key is still being processed; retry shortly.");
            return;
        }

        if (!stored.Ours)
        {
            ResetResponse(context);
            if (stored.Receipt is { } theirs)
            {
                await AnswerFromAsync(context, theirs, receipt);
            }
            else
            {
                await WriteProblemAsync(context, StatusCodes.Status409Conflict, ProblemCodes.IdempotencyInProgress, "A request with this Idempotency-Key is still being processed; retry shortly.");
            }

            return;
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(originalBody, context.RequestAborted);
    }

    /// <summary>The endpoint, with an exception turned into its problem answer here (not outside), so that it is stored.</summary>
    private async Task RunUseCaseAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (IdempotencyKeyTakenException)
        {
            throw;
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            ResetResponse(context);
            foreach (var handler in context.RequestServices.GetServices<IExceptionHandler>())
            {
                if (await handler.TryHandleAsync(context, e, context.RequestAborted))
                {
                    return;
                }
            }

            throw;
        }
    }

    /// <summary>Commits the answer with its receipt, or drops both for a failure of ours (5xx).</summary>
    private async Task<(bool Ours, IdempotencyReceipt? Receipt)> CompleteAsync(HttpContext context, TDbContext db, PendingReceipt receipt, byte[] body)
    {
        var ct = context.RequestAborted;
        var status = context.Response.StatusCode;
        var transaction = db.Database.CurrentTransaction;
        if (status >= 500)
        {
            await RollbackAsync(db);
            return (true, null);
        }

        var sql = IdempotencySql.For(db);
        // Typed parameters: EF infers no type from a null.
        var contentType = new Npgsql.NpgsqlParameter("content_type", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)context.Response.ContentType ?? DBNull.Value };
        var location = new Npgsql.NpgsqlParameter("location", NpgsqlTypes.NpgsqlDbType.Text) { Value = context.Response.Headers.Location.ToString() is { Length: > 0 } l ? l : DBNull.Value };
        if (receipt.Claimed && transaction is not null)
        {
            if (status >= 400)
            {
                // A problem changes nothing: whatever the use case wrote goes, the receipt with its answer stays.
                await transaction.RollbackToClaimAsync(ct);
            }

            await db.Database.ExecuteSqlRawAsync(sql.Complete, [status, contentType, location, body, receipt.Principal, receipt.Method, receipt.Route, receipt.Key], ct);
            await transaction.CommitAsync(ct);
            await transaction.DisposeAsync();
        }
        else
        {
            // Nothing was written: claim the key and store the answer at once, unless a twin completed meanwhile
            // (a twin still in flight holds the row: wait for it, within the same bound as a claim).
            await RollbackAsync(db);
            int inserted;
            await using (var own = await db.Database.BeginTransactionAsync(ct))
            {
                try
                {
                    inserted = await db.Database.ExecuteSqlRawAsync(sql.ClaimCompleted, [receipt.Principal, receipt.Method, receipt.Route, receipt.Key, receipt.RequestHash, receipt.CreatedAt, status, contentType, location, body], ct);
                }
                catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.LockNotAvailable)
                {
                    throw new IdempotencyKeyTakenException(inProgress: true);
                }

                await own.CommitAsync(ct);
            }

            if (inserted == 0)
            {
                return (false, await FindCompletedAsync(db, receipt, ct));
            }
        }

        // Before the client sees the answer, so its next read sees its write.
        if (context.RequestServices.GetService(typeof(Caching.CacheInvalidations)) is Caching.CacheInvalidations invalidations)
        {
            await invalidations.FlushAsync();
        }

        return (true, null);
    }

    private static async Task RollbackAsync(DbContext db)
    {
        if (db.Database.CurrentTransaction is { } transaction)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            await transaction.DisposeAsync();
        }
    }

    private static Task<IdempotencyReceipt?> FindCompletedAsync(DbContext db, PendingReceipt receipt, CancellationToken ct)
        => db.Set<IdempotencyReceipt>().AsNoTracking().SingleOrDefaultAsync(
            r => r.Principal == receipt.Principal && r.Method == receipt.Method && r.Route == receipt.Route && r.Key == receipt.Key && r.StatusCode != null, ct);

    private static async Task AnswerFromAsync(HttpContext context, IdempotencyReceipt completed, PendingReceipt request)
    {
        if (!completed.RequestHash.AsSpan().SequenceEqual(request.RequestHash))
        {
            await WriteProblemAsync(context, StatusCodes.Status409Conflict, ProblemCodes.IdempotencyConflict, "This Idempotency-Key was already used for a different request.");
            return;
        }

        await ReplayAsync(context, completed);
    }

    private static void ResetResponse(HttpContext context)
    {
        context.Response.Headers.Clear();
        context.Response.StatusCode = StatusCodes.Status200OK;
        if (context.Response.Body is MemoryStream buffer)
        {
            buffer.SetLength(0);
        }
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
