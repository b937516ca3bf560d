using Library.Patron.Domain.Patrons;
using Library.SharedKernel.Domain;
// Inside Library.Patron.* the bare name Patron means the namespace, so the aggregate goes by an alias.
using PatronAggregate = Library.Patron.Domain.Patrons.Patron;

namespace Library.Patron.Tests.Domain;

public sealed class PatronTests
{
    private static readonly DateTimeOffset s_registeredAt = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_later = s_registeredAt.AddMinutes(5);
    private static readonly DateTimeOffset s_evenLater = s_registeredAt.AddMinutes(10);

    [Fact]
    public void Register_CreatesAnActivePatronAtVersionOne()
    {
        var patron = Register();

        patron.FirstName.ShouldBe("Ada");
        patron.LastName.ShouldBe("Lovelace");
        patron.Email.ShouldBe("ada@example.com");
        patron.MembershipTier.ShouldBe(MembershipTier.Regular);
        patron.Suspended.ShouldBeFalse();
        patron.SuspendedReason.ShouldBeNull();
        patron.RegisteredAt.ShouldBe(s_registeredAt);
        patron.UpdatedAt.ShouldBe(s_registeredAt);
        patron.Version.ShouldBe(1);
    }

    [Fact]
    public void Register_KeepsTheNormalisedNamesAndEmail()
    {
        var patron = PatronAggregate.Register(
            PersonName.Create("  Ada \t Augusta ", "firstName").Value,
            PersonName.Create("King\n  Lovelace", "lastName").Value,
            EmailAddress.Create("  Ada@Example.COM ").Value,
            MembershipTier.Regular,
            s_registeredAt);

        patron.FirstName.ShouldBe("Ada Augusta");
        patron.LastName.ShouldBe("King Lovelace");
        patron.Email.ShouldBe("ada@example.com");
    }

    [Theory]
    [InlineData(MembershipTier.Regular)]
    [InlineData(MembershipTier.Premium)]
    [InlineData(MembershipTier.Researcher)]
    public void Register_KeepsTheRequestedTier(MembershipTier tier)
        => Register(tier).MembershipTier.ShouldBe(tier);

    [Fact]
    public void Register_RaisesPatronRegisteredWithTheFullData()
    {
        var patron = Register(MembershipTier.Premium);

        patron.DomainEvents.ShouldHaveSingleItem().ShouldBe(
            new PatronRegistered(patron.Id, "ada@example.com", "Ada", "Lovelace", MembershipTier.Premium, 1, s_registeredAt));
    }

    [Fact]
    public void Register_GivesThePatronAUuidVersion7Id()
        => Register().Id.Value.Version.ShouldBe(7);

    [Fact]
    public void Register_GivesEachPatronItsOwnId()
        => Register().Id.ShouldNotBe(Register().Id);

    [Fact]
    public void Register_KeysTheAggregateByItsId()
    {
        var patron = Register();

        patron.AggregateKey.ShouldBe(patron.Id.Value.ToString("D"));
    }

    [Fact]
    public void Suspend_WhenActive_SuspendsThePatronWithTheReason()
    {
        var patron = ActivePatron(MembershipTier.Premium);

        patron.Suspend(Reason("Three books overdue"), s_later);

        patron.Suspended.ShouldBeTrue();
        patron.SuspendedReason.ShouldBe("Three books overdue");
        patron.Version.ShouldBe(2);
        patron.UpdatedAt.ShouldBe(s_later);
        patron.RegisteredAt.ShouldBe(s_registeredAt);
        patron.MembershipTier.ShouldBe(MembershipTier.Premium);
        patron.DomainEvents.ShouldHaveSingleItem().ShouldBe(
            new PatronSuspended(patron.Id, "ada@example.com", MembershipTier.Premium, "Three books overdue", 2, s_later));
    }

    [Fact]
    public void Suspend_KeepsTheNormalisedReason()
    {
        var patron = ActivePatron();

        patron.Suspend(Reason("  Three   books\toverdue "), s_later);

        patron.SuspendedReason.ShouldBe("Three books overdue");
        patron.DomainEvents.ShouldHaveSingleItem().ShouldBeOfType<PatronSuspended>().Reason.ShouldBe("Three books overdue");
    }

    [Fact]
    public void Suspend_WhenAlreadySuspended_FailsWithPatronAlreadySuspended()
    {
        var patron = SuspendedPatron();
        var before = Snapshot.Of(patron);

        ShouldBreakRule(() => patron.Suspend(Reason("Another reason"), s_evenLater), "patron.already_suspended");

        Snapshot.Of(patron).ShouldBe(before);
        patron.SuspendedReason.ShouldBe("Three books overdue");
    }

    [Fact]
    public void Reinstate_WhenSuspended_ClearsTheSuspensionAndItsReason()
    {
        var patron = SuspendedPatron(MembershipTier.Researcher);

        patron.Reinstate(s_evenLater);

        patron.Suspended.ShouldBeFalse();
        patron.SuspendedReason.ShouldBeNull();
        patron.Version.ShouldBe(3);
        patron.UpdatedAt.ShouldBe(s_evenLater);
        patron.RegisteredAt.ShouldBe(s_registeredAt);
        patron.MembershipTier.ShouldBe(MembershipTier.Researcher);
        patron.DomainEvents.ShouldHaveSingleItem().ShouldBe(
            new PatronReinstated(patron.Id, "ada@example.com", MembershipTier.Researcher, 3, s_evenLater));
    }

    [Fact]
    public void Reinstate_WhenNotSuspended_FailsWithPatronNotSuspended()
    {
        var patron = ActivePatron();
        var before = Snapshot.Of(patron);

        ShouldBreakRule(() => patron.Reinstate(s_later), "patron.not_suspended");

        Snapshot.Of(patron).ShouldBe(before);
    }

    [Fact]
    public void Reinstate_ReplayedAfterTheReinstatementSucceeded_FailsWithPatronNotSuspended()
    {
        var patron = SuspendedPatron();
        patron.Reinstate(s_evenLater);
        patron.ClearDomainEvents();
        var before = Snapshot.Of(patron);

        ShouldBreakRule(() => patron.Reinstate(s_evenLater.AddMinutes(1)), "patron.not_suspended");

        Snapshot.Of(patron).ShouldBe(before);
    }

    [Fact]
    public void Suspend_AfterReinstatement_SuspendsThePatronAgain()
    {
        var patron = SuspendedPatron();
        patron.Reinstate(s_evenLater);
        patron.ClearDomainEvents();
        var suspendedAgainAt = s_evenLater.AddDays(1);

        patron.Suspend(Reason("Damaged a book"), suspendedAgainAt);

        patron.Suspended.ShouldBeTrue();
        patron.SuspendedReason.ShouldBe("Damaged a book");
        patron.Version.ShouldBe(4);
        patron.DomainEvents.ShouldHaveSingleItem().ShouldBe(
            new PatronSuspended(patron.Id, "ada@example.com", MembershipTier.Regular, "Damaged a book", 4, suspendedAgainAt));
    }

    [Theory]
    [InlineData(MembershipTier.Regular, MembershipTier.Premium)]
    [InlineData(MembershipTier.Regular, MembershipTier.Researcher)]
    [InlineData(MembershipTier.Premium, MembershipTier.Researcher)]
    public void UpgradeTier_ToAStrictlyHigherTier_MovesThePatronUp(MembershipTier from, MembershipTier to)
    {
        var patron = ActivePatron(from);

        patron.UpgradeTier(to, s_later);

        patron.MembershipTier.ShouldBe(to);
        patron.Suspended.ShouldBeFalse();
        patron.Version.ShouldBe(2);
        patron.UpdatedAt.ShouldBe(s_later);
        patron.RegisteredAt.ShouldBe(s_registeredAt);
        patron.DomainEvents.ShouldHaveSingleItem().ShouldBe(
            new PatronTierUpgraded(patron.Id, "ada@example.com", to, false, 2, s_later));
    }

    [Theory]
    [InlineData(MembershipTier.Regular)]
    [InlineData(MembershipTier.Premium)]
    [InlineData(MembershipTier.Researcher)]
    public void UpgradeTier_ToTheSameTier_FailsWithTierNotHigher(MembershipTier tier)
    {
        var patron = ActivePatron(tier);
        var before = Snapshot.Of(patron);

        ShouldBreakRule(() => patron.UpgradeTier(tier, s_later), "patron.tier_not_higher");

        Snapshot.Of(patron).ShouldBe(before);
    }

    [Theory]
    [InlineData(MembershipTier.Premium, MembershipTier.Regular)]
    [InlineData(MembershipTier.Researcher, MembershipTier.Regular)]
    [InlineData(MembershipTier.Researcher, MembershipTier.Premium)]
    public void UpgradeTier_ToALowerTier_FailsWithTierNotHigher(MembershipTier from, MembershipTier to)
    {
        var patron = ActivePatron(from);
        var before = Snapshot.Of(patron);

        ShouldBreakRule(() => patron.UpgradeTier(to, s_later), "patron.tier_not_higher");

        Snapshot.Of(patron).ShouldBe(before);
    }

    [Fact]
    public void UpgradeTier_WhenSuspended_UpgradesAndTheEventSaysSuspended()
    {
        var patron = SuspendedPatron();

        patron.UpgradeTier(MembershipTier.Premium, s_evenLater);

        patron.MembershipTier.ShouldBe(MembershipTier.Premium);
        patron.Suspended.ShouldBeTrue();
        patron.SuspendedReason.ShouldBe("Three books overdue");
        patron.Version.ShouldBe(3);
        patron.UpdatedAt.ShouldBe(s_evenLater);
        patron.DomainEvents.ShouldHaveSingleItem().ShouldBe(
            new PatronTierUpgraded(patron.Id, "ada@example.com", MembershipTier.Premium, true, 3, s_evenLater));
    }

    [Fact]
    public void UpgradeTier_WhenSuspendedToTheSameTier_FailsWithTierNotHigher()
    {
        var patron = SuspendedPatron(MembershipTier.Premium);
        var before = Snapshot.Of(patron);

        ShouldBreakRule(() => patron.UpgradeTier(MembershipTier.Premium, s_evenLater), "patron.tier_not_higher");

        Snapshot.Of(patron).ShouldBe(before);
    }

    [Fact]
    public void FullLifecycle_RaisesOneEventPerTransitionInOrderWithRisingVersions()
    {
        var patron = Register();
        var id = patron.Id;
        var times = Enumerable.Range(0, 6).Select(minutes => s_registeredAt.AddMinutes(minutes)).ToArray();

        patron.Suspend(Reason("Three books overdue"), times[1]);
        patron.UpgradeTier(MembershipTier.Premium, times[2]);
        patron.Reinstate(times[3]);
        patron.UpgradeTier(MembershipTier.Researcher, times[4]);
        patron.Suspend(Reason("Damaged a book"), times[5]);

        IDomainEvent[] expected =
        [
            new PatronRegistered(id, "ada@example.com", "Ada", "Lovelace", MembershipTier.Regular, 1, times[0]),
            new PatronSuspended(id, "ada@example.com", MembershipTier.Regular, "Three books overdue", 2, times[1]),
            new PatronTierUpgraded(id, "ada@example.com", MembershipTier.Premium, true, 3, times[2]),
            new PatronReinstated(id, "ada@example.com", MembershipTier.Premium, 4, times[3]),
            new PatronTierUpgraded(id, "ada@example.com", MembershipTier.Researcher, false, 5, times[4]),
            new PatronSuspended(id, "ada@example.com", MembershipTier.Researcher, "Damaged a book", 6, times[5]),
        ];
        patron.DomainEvents.ShouldBe(expected);
        patron.Version.ShouldBe(6);
        patron.UpdatedAt.ShouldBe(times[5]);
        patron.RegisteredAt.ShouldBe(times[0]);
    }

    private static PatronAggregate Register(MembershipTier tier = MembershipTier.Regular)
        => PatronAggregate.Register(
            PersonName.Create("Ada", "firstName").Value,
            PersonName.Create("Lovelace", "lastName").Value,
            EmailAddress.Create("ada@example.com").Value,
            tier,
            s_registeredAt);

    private static PatronAggregate ActivePatron(MembershipTier tier = MembershipTier.Regular)
    {
        var patron = Register(tier);
        patron.ClearDomainEvents();
        return patron;
    }

    private static PatronAggregate SuspendedPatron(MembershipTier tier = MembershipTier.Regular)
    {
        var patron = ActivePatron(tier);
        patron.Suspend(Reason("Three books overdue"), s_later);
        patron.ClearDomainEvents();
        return patron;
    }

    private static SuspensionReason Reason(string raw) => SuspensionReason.Create(raw).Value;

    private static void ShouldBreakRule(Action transition, string code)
    {
        var exception = Should.Throw<BusinessRuleViolationException>(transition);
        exception.Rule.Code.ShouldBe(code);
        exception.Rule.Kind.ShouldBe(ErrorKind.Conflict);
    }

    /// <summary>Everything a transition may change, so a refused transition can be shown to change nothing.</summary>
    private sealed record Snapshot(
        string FirstName,
        string LastName,
        string Email,
        MembershipTier Tier,
        bool Suspended,
        string? SuspendedReason,
        DateTimeOffset RegisteredAt,
        DateTimeOffset UpdatedAt,
        int Version,
        int EventCount)
    {
        public static Snapshot Of(PatronAggregate patron)
            => new(
                patron.FirstName,
                patron.LastName,
                patron.Email,
                patron.MembershipTier,
                patron.Suspended,
                patron.SuspendedReason,
                patron.RegisteredAt,
                patron.UpdatedAt,
                patron.Version,
                patron.DomainEvents.Count);
    }
}
