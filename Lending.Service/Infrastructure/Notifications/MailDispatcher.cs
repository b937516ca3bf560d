using System.Diagnostics;
using Library.Lending.Infrastructure.Persistence;
using Library.SharedKernel.Resilience;
using Microsoft.EntityFrameworkCore;
using Polly.CircuitBreaker;
using SendGrid;
using SendGrid.Helpers.Mail;

namespace Library.Lending.Infrastructure.Notifications;

/// <summary>
/// Sends the mail outbox through SendGrid (SPEC §6). A 2xx marks a mail sent; a 5xx, 429 or network error is
/// retried with exponential backoff (<c>Notifications:MaxAttempts</c>, then parked); any other 4xx parks it at
/// once. Calls go through the <c>sendgrid</c> breaker: while it is open nothing is tried. A failing provider never
/// touches a loan: mail is written with the loan and sent afterwards.
/// <para>Replicas dispatch side by side. A round claims up to <c>Notifications:BatchSize</c> due mails under SKIP
/// LOCKED with a claim id and a lease long enough for the whole batch to be sent one after another at the send
/// timeout (never shorter than <c>Notifications:ClaimLease</c>); each outcome is committed as soon as it is known,
/// and only while the claim is still this round's (a concurrency token), so a mail is sent at most once per claim
/// and a dispatcher that lost its claim (paused past its lease) changes nothing. A crash only delays the claimed
/// mails until the lease ends.</para>
/// </summary>
public sealed partial class MailDispatcher(
    IServiceScopeFactory scopes,
    IConfiguration configuration,
    CircuitBreakers breakers,
    TimeProvider timeProvider,
    ILogger<MailDispatcher> logger) : BackgroundService
{
    public static readonly DeclaredBreaker Breaker = new(
        "sendgrid",
        new BreakerDefaults(FailureRatio: 0.5, MinimumThroughput: 5, BreakDuration: TimeSpan.FromSeconds(10)),
        (result, e) => (e is not null and not OperationCanceledException) || (result is Response { StatusCode: >= System.Net.HttpStatusCode.InternalServerError }));

    /// <summary>One send's bound; a batch's lease covers this many of them back to back.</summary>
    public static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);

    private static readonly HttpClient s_http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = SendTimeout };
    private readonly CircuitBreaker _breaker = breakers.Get(Breaker.Name);
    private int _notConfiguredLogged;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DispatchAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogDispatchFailed(logger, e.GetType().Name, e.Message);
            }

            try
            {
                await Task.Delay(configuration.GetValue("Notifications:PollInterval", TimeSpan.FromMilliseconds(500)), timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static readonly ActivitySource s_activity = new("Library.Mail");

    /// <summary>One round over the mails that are due; returns how many were sent.</summary>
    public async Task<int> DispatchAsync(CancellationToken cancellationToken)
    {
        if (configuration["SendGrid:ApiKey"] is not { Length: > 0 } apiKey)
        {
            if (Interlocked.Exchange(ref _notConfiguredLogged, 1) == 0)
            {
                LogNotConfigured(logger);
            }

            return 0;
        }

        var client = new SendGridClient(s_http, new SendGridClientOptions { ApiKey = apiKey, Host = configuration["SendGrid:Host"] ?? "https://api.sendgrid.com" });
        var from = new EmailAddress(configuration["Notifications:From"] ?? "library@example.org", configuration["Notifications:FromName"] ?? "Library");
        var maxAttempts = configuration.GetValue("Notifications:MaxAttempts", 8);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LendingDbContext>();
        var now = timeProvider.GetUtcNow();

        // Claim a batch with a lease (committed at once): no lock is held while SendGrid is called, a replica
        // skips what another claimed, and a crash only delays the claimed mails until the lease ends. The lease
        // covers the batch sent one by one, each up to the send timeout, with a margin.
        var batchSize = Math.Clamp(configuration.GetValue("Notifications:BatchSize", 20), 1, 1000);
        var leaseFor = TimeSpan.FromTicks(Math.Max(
            configuration.GetValue("Notifications:ClaimLease", TimeSpan.FromMinutes(2)).Ticks,
            ((SendTimeout * batchSize) + TimeSpan.FromSeconds(30)).Ticks));
        var lease = now + leaseFor;
        var claim = Guid.CreateVersion7();
        var due = await db.OutgoingMails
            .FromSqlInterpolated($"""
                UPDATE lending.outgoing_mails SET next_attempt_at = {lease}, claim_id = {claim}
                WHERE id IN (SELECT id FROM lending.outgoing_mails WHERE status = 'pending' AND next_attempt_at <= {now}
                             ORDER BY next_attempt_at LIMIT {batchSize} FOR UPDATE SKIP LOCKED)
                RETURNING *
                """)
            .ToListAsync(cancellationToken);
        var sent = 0;
        foreach (var mail in due)
        {
            if (timeProvider.GetUtcNow() + SendTimeout >= lease)
            {
                break; // this send could end after the lease: leave the rest to whoever claims them next
            }

            // The send joins the trace of what caused the mail (the borrow, the return, the sweep).
            using var activity = ActivityContext.TryParse(mail.TraceParent, null, out var cause)
                ? s_activity.StartActivity("mail send", ActivityKind.Client, cause)
                : s_activity.StartActivity("mail send", ActivityKind.Client);
            activity?.SetTag("library.mail.key", mail.Key);
            var message = MailHelper.CreateSingleEmail(from, new EmailAddress(mail.To), mail.Subject, mail.Text, mail.Html);
            message.AddCustomArg("mailKey", mail.Key);
            mail.Attempts++;
            try
            {
                // A send in flight is finished, not cancelled: its outcome must be recorded.
                var response = await _breaker.ExecuteAsync(async ct => await client.SendEmailAsync(message, ct), CancellationToken.None);
                var status = (int)response.StatusCode;
                if (status is >= 200 and < 300)
                {
                    mail.Status = MailStatus.Sent;
                    mail.SentAt = timeProvider.GetUtcNow();
                    mail.LastError = null;
                    sent++;
                }
                else if (status is >= 500 or 429)
                {
                    RetryLater(mail, $"SendGrid answered {status}", maxAttempts);
                }
                else
                {
                    mail.Status = MailStatus.Parked;
                    mail.LastError = $"SendGrid refused it: {status} {Truncate(await response.Body.ReadAsStringAsync(CancellationToken.None))}";
                    LogParked(logger, mail.Key, status);
                }
            }
            catch (BrokenCircuitException)
            {
                // Not tried: the breaker is open. This and the rest of the batch wait for it.
                mail.Attempts--;
                foreach (var untried in due.SkipWhile(m => m != mail))
                {
                    untried.NextAttemptAt = timeProvider.GetUtcNow() + _breaker.Snapshot().Settings.BreakDuration;
                    await SaveUnderClaimAsync(db, untried);
                }

                break;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                RetryLater(mail, $"{e.GetType().Name}: {e.Message}", maxAttempts);
            }

            // Each outcome is committed as soon as it is known (a sent mail is never rolled back to pending), and
            // only under this round's claim.
            if (!await SaveUnderClaimAsync(db, mail))
            {
                continue;
            }
            if (cancellationToken.IsCancellationRequested)
            {
                break; // the rest keep their lease and are picked up after it
            }
        }

        return sent;
    }

    /// <summary>Writes the mail's outcome if the claim is still this round's; false (and nothing written) if another dispatcher took it over.</summary>
    private async Task<bool> SaveUnderClaimAsync(LendingDbContext db, OutgoingMail mail)
    {
        try
        {
            await db.SaveChangesAsync(CancellationToken.None);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            LogClaimLost(logger, mail.Key);
            db.Entry(mail).State = EntityState.Detached;
            return false;
        }
    }

    private void RetryLater(OutgoingMail mail, string error, int maxAttempts)
    {
        // From the moment of this failure, not the round's start: a late mail in a long batch still waits its full backoff.
        var now = timeProvider.GetUtcNow();
        mail.LastError = Truncate(error);
        if (mail.Attempts >= maxAttempts)
        {
            mail.Status = MailStatus.Parked;
            LogParked(logger, mail.Key, 0);
            return;
        }

        var backoff = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, mail.Attempts - 1), configuration.GetValue("Notifications:MaxBackoffSeconds", 300)));
        mail.NextAttemptAt = now + backoff;
    }

    private static string Truncate(string value) => value.Length > 2000 ? value[..2000] : value;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mail dispatch failed ({Error}: {Message}); retrying")]
    private static partial void LogDispatchFailed(ILogger logger, string error, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mail {MailKey} parked (status {Status}); it will not be retried")]
    private static partial void LogParked(ILogger logger, string mailKey, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mail {MailKey}: this dispatcher's claim ran out and another took it over; its outcome is left to that one")]
    private static partial void LogClaimLost(ILogger logger, string mailKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SendGrid:ApiKey is not set: mail is kept in the outbox and not sent")]
    private static partial void LogNotConfigured(ILogger logger);
}
