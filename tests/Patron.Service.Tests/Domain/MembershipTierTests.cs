using Library.Patron.Domain.Patrons;

namespace Library.Patron.Tests.Domain;

public sealed class MembershipTierTests
{
    [Fact]
    public void Tiers_AreRegularPremiumResearcherInAscendingOrder()
    {
        // The upgrade tests list every pair of tiers by hand; a new tier must be added to them too.
        Enum.GetValues<MembershipTier>().ShouldBe([MembershipTier.Regular, MembershipTier.Premium, MembershipTier.Researcher]);
        (MembershipTier.Regular < MembershipTier.Premium).ShouldBeTrue();
        (MembershipTier.Premium < MembershipTier.Researcher).ShouldBeTrue();
    }

    [Theory]
    [InlineData("regular", MembershipTier.Regular)]
    [InlineData("Regular", MembershipTier.Regular)]
    [InlineData("premium", MembershipTier.Premium)]
    [InlineData("PREMIUM", MembershipTier.Premium)]
    [InlineData("researcher", MembershipTier.Researcher)]
    [InlineData("rEsEaRcHeR", MembershipTier.Researcher)]
    [InlineData(" premium ", MembershipTier.Premium)]
    public void TryParse_OfATierNameInAnyCase_ReturnsTheTier(string raw, MembershipTier expected)
    {
        MembershipTiers.TryParse(raw, out var tier).ShouldBeTrue();
        tier.ShouldBe(expected);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("2")]
    [InlineData("3")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1 ")]
    [InlineData("gold")]
    [InlineData("regulars")]
    [InlineData("prem")]
    [InlineData("regular premium")]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t")]
    [InlineData(null)]
    public void TryParse_OfAnythingButATierName_Fails(string? raw)
        => MembershipTiers.TryParse(raw, out _).ShouldBeFalse();

    [Theory]
    [InlineData("premium,researcher")]
    [InlineData("regular,premium")]
    [InlineData("Premium, Regular")]
    [InlineData("premium,premium")]
    public void TryParse_OfSeveralTierNames_Fails(string raw)
        => MembershipTiers.TryParse(raw, out _).ShouldBeFalse();

    [Theory]
    [InlineData(MembershipTier.Regular, "regular")]
    [InlineData(MembershipTier.Premium, "premium")]
    [InlineData(MembershipTier.Researcher, "researcher")]
    public void ToWire_IsTheLowerCaseName(MembershipTier tier, string expected)
        => tier.ToWire().ShouldBe(expected);

    [Theory]
    [InlineData(MembershipTier.Regular)]
    [InlineData(MembershipTier.Premium)]
    [InlineData(MembershipTier.Researcher)]
    public void TryParse_OfTheWireName_ReturnsTheSameTier(MembershipTier tier)
    {
        MembershipTiers.TryParse(tier.ToWire(), out var parsed).ShouldBeTrue();
        parsed.ShouldBe(tier);
    }
}
