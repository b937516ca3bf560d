using ArchUnitNET.xUnitV3;

namespace Library.Architecture.Tests;

public sealed class LayerDependencyTests
{
    [Theory]
    [InlineData("Library.Catalog.Domain", "Library.Catalog.Application")]
    [InlineData("Library.Catalog.Domain", "Library.Catalog.Infrastructure")]
    [InlineData("Library.Catalog.Domain", "Library.Catalog.Api")]
    [InlineData("Library.Catalog.Application", "Library.Catalog.Api")]
    public void Layer_DoesNotDependOnTheLayersOutsideIt(string layer, string forbiddenLayer)
    {
        // A misspelt layer would otherwise make the rule pass by forbidding nothing.
        ProductionCode.Architecture.Types.ShouldContain(
            type => type.Namespace.FullName == forbiddenLayer || type.Namespace.FullName.StartsWith(forbiddenLayer + ".", StringComparison.Ordinal),
            $"no types in {forbiddenLayer}");

        ArchitectureRules.DoesNotDependOnLayer(layer, forbiddenLayer).Check(ProductionCode.Architecture);
    }

    [Fact]
    public void LayerRule_AppliedToTheApiAndTheApplication_ReportsTheEndpointsThatCallHandlers()
        => ArchitectureRules.DoesNotDependOnLayer("Library.Catalog.Api", "Library.Catalog.Application")
            .Violators(ProductionCode.Architecture)
            .ShouldContain("Library.Catalog.Api.BooksApi");
}
