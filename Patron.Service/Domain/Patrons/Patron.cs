using Library.SharedKernel.Domain;

namespace Library.Patron.Domain.Patrons;

/// <summary>A library member. Suspension, reinstatement and tier changes are guarded transitions, each an event.</summary>
public sealed class Patron : AggregateRoot<PatronId>
{
    private Patron()
    {
        FirstName = null!;
        LastName = null!;
        Email = null!;
    }

    public string FirstName { get; private set; }

    public string LastName { get; private set; }

    public string Email { get; private set; }

    public MembershipTier MembershipTier { get; private set; }

    public bool Suspended { get; private set; }

    public string? SuspendedReason { get; private set; }

    public DateTimeOffset RegisteredAt { get; private set; }

    public DateTimeOffset UpdatedAt { get; private set; }

    public static Patron Register(PersonName firstName, PersonName lastName, EmailAddress email, MembershipTier tier, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(firstName);
        ArgumentNullException.ThrowIfNull(lastName);
        ArgumentNullException.ThrowIfNull(email);
        var patron = new Patron
        {
            Id = PatronId.New(),
            FirstName = firstName.Value,
            LastName = lastName.Value,
            Email = email.Value,
            MembershipTier = tier,
            RegisteredAt = now,
            UpdatedAt = now,
            Version = 1,
        };
        patron.Raise(new PatronRegistered(patron.Id, patron.Email, patron.FirstName, patron.LastName, tier, patron.Version, now));
        return patron;
    }

    public void Suspend(SuspensionReason reason, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(reason);
        CheckRule(new PatronMustNotAlreadyBeSuspended(Suspended));
        Suspended = true;
        SuspendedReason = reason.Value;
        Touch(now);
        Raise(new PatronSuspended(Id, Email, MembershipTier, reason.Value, Version, now));
    }

    public void Reinstate(DateTimeOffset now)
    {
        CheckRule(new PatronMustBeSuspendedToReinstate(Suspended));
        Suspended = false;
        SuspendedReason = null;
        Touch(now);
        Raise(new PatronReinstated(Id, Email, MembershipTier, Version, now));
    }

    public void UpgradeTier(MembershipTier tier, DateTimeOffset now)
    {
        CheckRule(new TierMayOnlyBeUpgraded(MembershipTier, tier));
        MembershipTier = tier;
        Touch(now);
        Raise(new PatronTierUpgraded(Id, Email, tier, Suspended, Version, now));
    }

    private void Touch(DateTimeOffset now)
    {
        UpdatedAt = now;
        Version++;
    }
}
