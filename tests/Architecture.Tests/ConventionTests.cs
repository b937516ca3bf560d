using ArchUnitNET.xUnitV3;
using Library.Architecture.Tests.Violations;

namespace Library.Architecture.Tests;

public sealed class ConventionTests
{
    [Fact]
    public void ProductionType_IsNotNamedManagerHelperOrUtils()
        => ArchitectureRules.TypesAreNotNamedWithBannedSuffixes().Check(ProductionCode.Architecture);

    [Fact]
    public void NamingRule_ReportsEveryBannedSuffix()
        => ArchitectureRules.TypesAreNotNamedWithBannedSuffixes().Violators(ViolatingCode.Architecture).ShouldBe(
            [
                "Library.Architecture.Tests.Violations.DateUtil",
                "Library.Architecture.Tests.Violations.IsbnHelper",
                "Library.Architecture.Tests.Violations.ShelfManager",
                "Library.Architecture.Tests.Violations.StringUtils",
            ]);

    [Theory]
    [InlineData("Library.Catalog.Application")]
    [InlineData("Library.Patron.Application")]
    public void ApplicationHandler_HasAPublicHandleAsync(string applicationNamespace)
        => ArchitectureRules.HandlersHavePublicHandleAsync(applicationNamespace).Check(ProductionCode.Architecture);

    [Fact]
    public void HandlerRule_ReportsHandlersWithoutAPublicHandleAsync()
        => ArchitectureRules.HandlersHavePublicHandleAsync("Library.Architecture.Tests.Violations.Application")
            .Violators(ViolatingCode.Architecture)
            .ShouldBe(
            [
                "Library.Architecture.Tests.Violations.Application.NotifyPatronHandler",
                "Library.Architecture.Tests.Violations.Application.RenewLoanHandler",
            ]);

    [Fact]
    public void DomainEvent_IsSealedAndNamedInThePastTense()
        => ArchitectureRules.DomainEventsAreSealedAndNamedInThePastTense().Check(ProductionCode.Architecture);

    [Fact]
    public void DomainEventRule_ReportsUnsealedEventsAndEventSuffixes()
        => ArchitectureRules.DomainEventsAreSealedAndNamedInThePastTense().Violators(ViolatingCode.Architecture).ShouldBe(
            [
                "Library.Architecture.Tests.Violations.BookFound",
                "Library.Architecture.Tests.Violations.BookLostEvent",
            ]);
}
