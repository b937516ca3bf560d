using System.Reflection;

namespace Library.Architecture.Tests;

public sealed class ServiceIsolationTests
{
    [Fact]
    public void ServiceAssembly_DoesNotReferenceAnotherService()
    {
        var services = ProductionCode.Services;
        services.Values.ShouldContain(ProductionCode.Catalog);
        services.Values.ShouldContain(ProductionCode.Patron);
        services.Values.ShouldContain(ProductionCode.Gateway);

        foreach (var (name, assembly) in services)
        {
            var references = ReferencedNames(assembly);
            // The references are real: every service is built on the shared kernel.
            references.ShouldContain("Library.SharedKernel", $"{name} does not reference Library.SharedKernel");
            references.Intersect(services.Keys.Where(other => other != name)).ShouldBeEmpty($"{name} references another service");
        }
    }

    [Fact]
    public void ProductionAssembly_DoesNotReferenceTheAppHost()
    {
        foreach (var assembly in ProductionCode.All)
        {
            ReferencedNames(assembly).ShouldNotContain(ProductionCode.AppHostAssemblyName, $"{assembly.GetName().Name} references the AppHost");
        }
    }

    private static string[] ReferencedNames(Assembly assembly)
        => [.. assembly.GetReferencedAssemblies().Select(reference => reference.Name!)];
}
