using Library.Lending.Domain.Loans;
using Library.Lending.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Library.Lending.Tests.Infrastructure;

public sealed class LendingPolicyProviderTests
{
    [Fact]
    public void Current_WithoutConfiguration_IsTheSpecsDefaultPolicy()
    {
        var policy = new LendingPolicyProvider(Configuration(), NullLogger<LendingPolicyProvider>.Instance).Current;

        policy.For("regular").ShouldBe(new TierPolicy(5, 14));
        policy.For("premium").ShouldBe(new TierPolicy(10, 21));
        policy.For("researcher").ShouldBe(new TierPolicy(20, 30));
        policy.MaxExtensions.ShouldBe(3);
    }

    [Fact]
    public void Current_TakesTierValuesFromConfigurationAndDefaultsTheRest()
    {
        var configuration = Configuration(
            ("Lending:Policy:regular:MaxLoans", "2"),
            ("Lending:Policy:premium:LoanDays", "7"),
            ("Lending:Policy:researcher:MaxLoans", "40"),
            ("Lending:Policy:researcher:LoanDays", "60"));

        var policy = new LendingPolicyProvider(configuration, NullLogger<LendingPolicyProvider>.Instance).Current;

        policy.For("regular").ShouldBe(new TierPolicy(2, 14));
        policy.For("premium").ShouldBe(new TierPolicy(10, 7));
        policy.For("researcher").ShouldBe(new TierPolicy(40, 60));
    }

    [Fact]
    public void Current_TakesMaxExtensionsFromConfiguration()
        => new LendingPolicyProvider(Configuration(("Lending:MaxExtensions", "1")), NullLogger<LendingPolicyProvider>.Instance).Current.MaxExtensions.ShouldBe(1);

    [Fact]
    public void Current_ReadsTierSectionsWrittenInAnyCase()
    {
        // appsettings.json spells the sections "Regular", "Premium", "Researcher"; borrowers carry "regular" etc.
        var configuration = Configuration(("Lending:Policy:Premium:MaxLoans", "12"), ("LENDING:POLICY:RESEARCHER:LOANDAYS", "45"));

        var policy = new LendingPolicyProvider(configuration, NullLogger<LendingPolicyProvider>.Instance).Current;

        policy.For("premium").MaxLoans.ShouldBe(12);
        policy.For("researcher").LoanDays.ShouldBe(45);
    }

    [Fact]
    public void Current_AfterAValueChanged_HasTheNewValue()
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Lending:Policy:regular:MaxLoans"] = "5" });
        var provider = new LendingPolicyProvider(configuration, NullLogger<LendingPolicyProvider>.Instance);
        var before = provider.Current;

        configuration["Lending:Policy:regular:MaxLoans"] = "1";
        configuration["Lending:MaxExtensions"] = "0";

        provider.Current.For("regular").MaxLoans.ShouldBe(1);
        provider.Current.MaxExtensions.ShouldBe(0);
        // A policy already handed out is a snapshot: a decision in progress is not changed under its feet.
        before.For("regular").MaxLoans.ShouldBe(5);
        before.MaxExtensions.ShouldBe(3);
    }

    [Fact]
    public void Current_AfterASourceWasAdded_HasItsValues()
    {
        var configuration = new ConfigurationManager();
        var provider = new LendingPolicyProvider(configuration, NullLogger<LendingPolicyProvider>.Instance);
        provider.Current.For("premium").LoanDays.ShouldBe(21);

        configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Lending:Policy:premium:LoanDays"] = "28" });

        provider.Current.For("premium").LoanDays.ShouldBe(28);
    }

    [Fact]
    public void Current_AfterALimitWasLowered_RefusesTheNextLoan()
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection();
        var provider = new LendingPolicyProvider(configuration, NullLogger<LendingPolicyProvider>.Instance);
        var borrower = Library.Lending.Domain.Borrowers.Borrower.From(Guid.CreateVersion7(), "ada@example.com", "regular", suspended: false, version: 1);
        var now = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
        Loan.Lend(Guid.CreateVersion7(), Guid.CreateVersion7(), "Dune", borrower, 2, provider.Current, now).Status.ShouldBe(LoanStatus.Active);

        configuration["Lending:Policy:regular:MaxLoans"] = "2";

        var exception = Should.Throw<Library.SharedKernel.Domain.BusinessRuleViolationException>(
            () => Loan.Lend(Guid.CreateVersion7(), Guid.CreateVersion7(), "Dune", borrower, 2, provider.Current, now));
        exception.Rule.Code.ShouldBe("loan.limit_reached");
        exception.Rule.Message.ShouldBe("borrowing limit of 2 reached");
    }

    [Theory]
    [InlineData("Lending:MaxExtensions", "three")]
    [InlineData("Lending:Policy:regular:LoanDays", "")]
    [InlineData("Lending:Policy:regular:MaxLoans", "-1")]
    [InlineData("Lending:Policy:regular:LoanDays", "-3")]
    public void Current_WithAMalformedOrOutOfRangeValue_KeepsTheLastGoodPolicy(string key, string value)
    {
        var configuration = new ConfigurationManager();
        configuration["Lending:Policy:regular:MaxLoans"] = "7";
        var provider = new LendingPolicyProvider(configuration, NullLogger<LendingPolicyProvider>.Instance);
        provider.Current.For("regular").MaxLoans.ShouldBe(7);

        configuration[key] = value;

        provider.Current.For("regular").MaxLoans.ShouldBe(7);
        provider.Current.For("regular").LoanDays.ShouldBe(14);
        provider.Current.MaxExtensions.ShouldBe(3);
    }

    [Fact]
    public void Current_AfterABadValueIsFixed_UsesTheNewValues()
    {
        var configuration = new ConfigurationManager();
        var provider = new LendingPolicyProvider(configuration, NullLogger<LendingPolicyProvider>.Instance);
        configuration["Lending:MaxExtensions"] = "lots";
        provider.Current.MaxExtensions.ShouldBe(3);

        configuration["Lending:MaxExtensions"] = "5";

        provider.Current.MaxExtensions.ShouldBe(5);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values)
        => new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();
}
