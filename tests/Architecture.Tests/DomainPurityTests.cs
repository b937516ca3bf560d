using ArchUnitNET.xUnitV3;

namespace Library.Architecture.Tests;

public sealed class DomainPurityTests
{
    [Theory]
    [InlineData("Library.Catalog.Domain")]
    [InlineData("Library.SharedKernel.Domain")]
    public void Domain_DoesNotDependOnPersistenceWebMessagingOrHostingFrameworks(string domainNamespace)
        => ArchitectureRules.DoesNotDependOnInfrastructureFrameworks(domainNamespace).Check(ProductionCode.Architecture);

    [Fact]
    public void FrameworkRule_AppliedToTheCatalogInfrastructure_ReportsItsEntityFrameworkDependency()
        => ArchitectureRules.DoesNotDependOnInfrastructureFrameworks("Library.Catalog.Infrastructure")
            .Violators(ProductionCode.Architecture)
            .ShouldContain("Library.Catalog.Infrastructure.Persistence.CatalogDbContext");

    [Fact]
    public void FrameworkRule_ForANamespaceWithoutTypes_FailsRatherThanPassingVacuously()
        => ArchitectureRules.DoesNotDependOnInfrastructureFrameworks("Library.Catalog.Domian")
            .HasNoViolations(ProductionCode.Architecture)
            .ShouldBeFalse();
}
