namespace Library.Lending.Infrastructure.Notifications;

/// <summary>
/// An e-mail the Lending context owes a patron, written in the same transaction as the change it reports
/// (a mail outbox). <see cref="Key"/> names the event it is for (<c>loan-created:{loanId}</c>, …) and is unique:
/// each event is mailed once, however often its transaction is retried or a sweep runs.
/// </summary>
public sealed class OutgoingMail
{
    public const int MaxKeyLength = 200;

    public required Guid Id { get; init; }

    public required string Key { get; init; }

    public required string To { get; init; }

    public required string Subject { get; init; }

    public required string Text { get; init; }

    public required string Html { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>W3C traceparent of what caused the mail, so its sending joins that trace (a borrow is one trace).</summary>
    public string? TraceParent { get; init; }

    public MailStatus Status { get; set; } = MailStatus.Pending;

    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public string? LastError { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    /// <summary>
    /// The claim a dispatcher holds on the mail (set with its lease, in <see cref="NextAttemptAt"/>): its outcome is
    /// recorded only while the claim is still its own, so a dispatcher whose lease ran out never overwrites another's.
    /// </summary>
    public Guid? ClaimId { get; set; }
}

public enum MailStatus
{
    Pending,
    Sent,

    /// <summary>Given up on: the provider refused it (4xx) or it failed too often. The loan is never affected.</summary>
    Parked,
}
