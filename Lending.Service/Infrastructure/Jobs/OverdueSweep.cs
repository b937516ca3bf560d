using Library.Lending.Application.Loans;
using Library.Lending.Domain.Loans;
using Library.SharedKernel.Caching;
using Library.Lending.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Library.Lending.Infrastructure.Jobs;

/// <summary>
/// Marks active loans past their due date overdue, each once, publishing <c>LoanOverdue</c> through the outbox
/// (SPEC §2). Runs every <c>Lending:OverdueSweepInterval</c>; the clock is the injected TimeProvider.
/// </summary>
public sealed partial class OverdueSweep(IServiceScopeFactory scopes, IConfiguration configuration, TimeProvider timeProvider, ILogger<OverdueSweep> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.GetValue("Lending:OverdueSweepEnabled", true))
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(logger, e.Message);
            }

            try
            {
                await Task.Delay(configuration.GetValue("Lending:OverdueSweepInterval", TimeSpan.FromMinutes(1)), timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass; returns how many loans became overdue.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var marked = 0;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LendingDbContext>();
            var invalidations = scope.ServiceProvider.GetRequiredService<CacheInvalidations>();
            var now = timeProvider.GetUtcNow();

            // Replicas sweep side by side: each claims the rows it marks and skips those another holds.
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var due = await db.Loans
                .FromSqlInterpolated($"SELECT * FROM lending.loans WHERE status = 'active' AND due_date < {now} ORDER BY due_date LIMIT 100 FOR UPDATE SKIP LOCKED")
                .ToListAsync(cancellationToken);
            if (due.Count == 0)
            {
                return marked;
            }

            foreach (var loan in due)
            {
                if (loan.MarkOverdue(now))
                {
                    marked++;
                    invalidations.Touch(LoanCache.Changed(loan.Id));
                }
            }

            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            await invalidations.FlushAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Overdue sweep failed: {Message}")]
    private static partial void LogSweepFailed(ILogger logger, string message);
}
