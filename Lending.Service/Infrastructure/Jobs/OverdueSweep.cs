using Library.Lending.Application.Loans;
using Library.Lending.Domain.Loans;
using Library.SharedKernel.Caching;
using Library.Lending.Infrastructure.Notifications;
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
                await RemindDueSoonAsync(stoppingToken);
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

    /// <summary>
    /// Owes a reminder for each active loan due within <c>Notifications:DueSoonWindow</c> (2 days), once per due
    /// date (an extension arms a new one); returns how many were written.
    /// </summary>
    public async Task<int> RemindDueSoonAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LendingDbContext>();
        var now = timeProvider.GetUtcNow();
        var until = now + configuration.GetValue("Notifications:DueSoonWindow", TimeSpan.FromDays(2));
        var loans = await db.Loans
            .FromSqlInterpolated($"""
                SELECT l.* FROM lending.loans l
                WHERE l.status = 'active' AND l.due_date >= {now} AND l.due_date < {until}
                  AND NOT EXISTS (SELECT 1 FROM lending.outgoing_mails m
                                  WHERE m.key = 'due-soon:' || l.id || ':' || floor(extract(epoch FROM l.due_date))::bigint)
                ORDER BY l.due_date LIMIT 500
                """)
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        var written = 0;
        foreach (var loan in loans)
        {
            var mail = LoanMails.DueSoon(loan, now);
            written += await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO lending.outgoing_mails (id, key, "to", subject, text, html, created_at, status, attempts, next_attempt_at)
                VALUES ({mail.Id}, {mail.Key}, {mail.To}, {mail.Subject}, {mail.Text}, {mail.Html}, {mail.CreatedAt}, 'pending', 0, {mail.NextAttemptAt})
                ON CONFLICT (key) DO NOTHING
                """, cancellationToken);
        }

        return written;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Overdue sweep failed: {Message}")]
    private static partial void LogSweepFailed(ILogger logger, string message);
}
