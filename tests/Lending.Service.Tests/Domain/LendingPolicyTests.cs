using Library.Lending.Domain.Loans;

namespace Library.Lending.Tests.Domain;

public sealed class LendingPolicyTests
{
    [Theory]
    [InlineData("regular", 5, 14)]
    [InlineData("premium", 10, 21)]
    [InlineData("researcher", 20, 30)]
    public void Default_GivesEachTierTheSpecsLimitAndLoanPeriod(string tier, int maxLoans, int loanDays)
        => LendingPolicy.Default.For(tier).ShouldBe(new TierPolicy(maxLoans, loanDays));

    [Fact]
    public void Default_AllowsThreeExtensions()
        => LendingPolicy.Default.MaxExtensions.ShouldBe(3);

    [Theory]
    [InlineData("Regular", 5)]
    [InlineData("PREMIUM", 10)]
    [InlineData("Researcher", 20)]
    public void For_MatchesTheTierInAnyCase(string tier, int maxLoans)
        => LendingPolicy.Default.For(tier).MaxLoans.ShouldBe(maxLoans);

    [Theory]
    [InlineData("platinum")]
    [InlineData("")]
    public void For_AnUnknownTier_FallsBackToRegular(string tier)
        => LendingPolicy.Default.For(tier).ShouldBe(new TierPolicy(5, 14));
}
