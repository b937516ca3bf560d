using ArchUnitNET.xUnitV3;

namespace Library.Architecture.Tests;

public sealed class LayerDependencyTests
{
    [Theory]
    [InlineData("Library.Catalog.Domain", "Library.Catalog.Application")]
    [InlineData("Library.Catalog.Domain", "Library.Catalog.Infrastructure")]
    [InlineData("Library.Catalog.Domain", "Library.Catalog.Api")]
    [InlineData("Library.Catalog.Application", "Library.Catalog.Api")]
    [InlineData("Library.Patron.Domain", "Library.Patron.Application")]
    [InlineData("Library.Patron.Domain", "Library.Patron.Infrastructure")]
    [InlineData("Library.Patron.Domain", "Library.Patron.Api")]
    [InlineData("Library.Patron.Application", "Library.Patron.Api")]
    public void Layer_DoesNotDependOnTheLayersOutsideIt(string layer, string forbiddenLayer)
    {
        // A misspelt layer would otherwise make the rule pass by forbidding nothing.
        ProductionCode.Architecture.Types.ShouldContain(
            type => type.Namespace.FullName == forbiddenLayer || type.Namespace.FullName.StartsWith(forbiddenLayer + ".", StringComparison.Ordinal),
            $"no types in {forbiddenLayer}");

        ArchitectureRules.DoesNotDependOnLayer(layer, forbiddenLayer).Check(ProductionCode.Architecture);
    }

    [Theory]
    [InlineData("Library.Catalog.Api", "Library.Catalog.Application", "Library.Catalog.Api.BooksApi")]
    [InlineData("Library.Patron.Api", "Library.Patron.Application", "Library.Patron.Api.PatronsApi")]
    public void LayerRule_AppliedToTheApiAndTheApplication_ReportsTheEndpointsThatCallHandlers(string api, string application, string endpoints)
        => ArchitectureRules.DoesNotDependOnLayer(api, application)
            .Violators(ProductionCode.Architecture)
            .ShouldContain(endpoints);
}
