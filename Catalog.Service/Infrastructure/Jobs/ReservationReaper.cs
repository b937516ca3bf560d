using Library.Catalog.Application.Books;
using Library.Catalog.Domain.Borrowing;
using Library.SharedKernel.Caching;
using Library.Catalog.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Library.Catalog.Infrastructure.Jobs;

/// <summary>
/// Releases reservations not confirmed within <c>Catalog:ReservationTtl</c> (default 300 s) with the reason
/// "reservation expired" (SPEC §2); Lending cancels any loan it made for them. Runs every
/// <c>Catalog:ReaperInterval</c>; the clock is the injected TimeProvider.
/// </summary>
public sealed partial class ReservationReaper(IServiceScopeFactory scopes, IConfiguration configuration, TimeProvider timeProvider, ILogger<ReservationReaper> logger) : BackgroundService
{
    public const string ExpiredReason = "reservation expired";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.GetValue("Catalog:ReaperEnabled", true))
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ReapAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogReapFailed(logger, e.Message);
            }

            try
            {
                await Task.Delay(configuration.GetValue("Catalog:ReaperInterval", TimeSpan.FromSeconds(15)), timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass; returns how many reservations were released.</summary>
    public async Task<int> ReapAsync(CancellationToken cancellationToken)
    {
        var released = 0;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            var invalidations = scope.ServiceProvider.GetRequiredService<CacheInvalidations>();
            var now = timeProvider.GetUtcNow();
            var cutoff = now - configuration.GetValue("Catalog:ReservationTtl", TimeSpan.FromSeconds(300));
            // Replicas reap side by side: each claims the operations it releases and skips those another holds.
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var stale = await db.BorrowOperations
                .FromSqlInterpolated($"SELECT * FROM catalog.borrow_operations WHERE status = 'reserved' AND created_at < {cutoff} ORDER BY created_at LIMIT 50 FOR UPDATE SKIP LOCKED")
                .ToListAsync(cancellationToken);
            if (stale.Count == 0)
            {
                return released;
            }

            var bookIds = stale.Select(o => o.BookId).ToList();
            var books = await db.Books.Where(b => bookIds.Contains(b.Id)).ToDictionaryAsync(b => b.Id, cancellationToken);
            foreach (var operation in stale)
            {
                if (operation.Release(books[operation.BookId], ExpiredReason, Library.SharedKernel.Domain.Clock.TruncateToMicroseconds(now)))
                {
                    released++;
                    invalidations.Touch(BookCache.Changed(operation.BookId));
                }
            }

            // A LoanCreated handled at the same moment waits for this transaction and then finds the operation released.
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            await invalidations.FlushAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reservation reaper failed: {Message}")]
    private static partial void LogReapFailed(ILogger logger, string message);
}
