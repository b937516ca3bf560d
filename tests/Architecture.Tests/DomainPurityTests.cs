using ArchUnitNET.xUnitV3;

namespace Library.Architecture.Tests;

public sealed class DomainPurityTests
{
    [Theory]
    [InlineData("Library.Catalog.Domain")]
    [InlineData("Library.Patron.Domain")]
    [InlineData("Library.SharedKernel.Domain")]
    public void Domain_DoesNotDependOnPersistenceWebMessagingOrHostingFrameworks(string domainNamespace)
        => ArchitectureRules.DoesNotDependOnInfrastructureFrameworks(domainNamespace).Check(ProductionCode.Architecture);

    [Theory]
    [InlineData("Library.Catalog.Infrastructure", "Library.Catalog.Infrastructure.Persistence.CatalogDbContext")]
    [InlineData("Library.Patron.Infrastructure", "Library.Patron.Infrastructure.Persistence.PatronDbContext")]
    public void FrameworkRule_AppliedToAServiceInfrastructure_ReportsItsEntityFrameworkDependency(string infrastructureNamespace, string dbContext)
        => ArchitectureRules.DoesNotDependOnInfrastructureFrameworks(infrastructureNamespace)
            .Violators(ProductionCode.Architecture)
            .ShouldContain(dbContext);

    [Fact]
    public void FrameworkRule_ForANamespaceWithoutTypes_FailsRatherThanPassingVacuously()
        => ArchitectureRules.DoesNotDependOnInfrastructureFrameworks("Library.Catalog.Domian")
            .HasNoViolations(ProductionCode.Architecture)
            .ShouldBeFalse();
}
