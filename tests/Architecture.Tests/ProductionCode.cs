using System.Reflection;
using ArchUnitNET.Loader;
using Library.SharedKernel.Domain;
using Microsoft.Extensions.Hosting;

namespace Library.Architecture.Tests;

/// <summary>
/// The production assemblies under test, loaded once per test run. Catalog.Service, Patron.Service and Gateway all declare a
/// global <c>Program</c>, so each assembly is found through a type of its own (or by name), never through <c>Program</c>.
/// </summary>
internal static class ProductionCode
{
    /// <summary>
    /// Every deployable service, by assembly name. A service is checked once Architecture.Tests.csproj references its
    /// project; a listed service whose project exists in the repository but is not referenced fails the run instead of
    /// being skipped. A new service is one name here plus that reference.
    /// </summary>
    public static readonly IReadOnlyList<string> ServiceAssemblyNames =
    [
        "Catalog.Service",
        "Gateway",
        "Lending.Service",
        "Patron.Service",
    ];

    public const string AppHostAssemblyName = "Library.AppHost";

    public static readonly Assembly Catalog = typeof(Library.Catalog.Api.BooksApi).Assembly;

    public static readonly Assembly Patron = typeof(Library.Patron.Api.PatronsApi).Assembly;

    /// <summary>Loaded by name: every Gateway type is internal.</summary>
    public static readonly Assembly Gateway = Assembly.Load("Gateway");

    public static readonly Assembly SharedKernel = typeof(IDomainEvent).Assembly;

    public static readonly Assembly ServiceDefaults = typeof(ClientIntegrations).Assembly;

    /// <summary>The service assemblies that this test run can see, by name.</summary>
    public static readonly IReadOnlyDictionary<string, Assembly> Services = LoadServices();

    public static readonly IReadOnlyList<Assembly> All =
        [.. Services.Values, SharedKernel, ServiceDefaults];

    public static readonly ArchUnitNET.Domain.Architecture Architecture =
        new ArchLoader().LoadAssemblies([.. All]).Build();

    private static Dictionary<string, Assembly> LoadServices()
    {
        var services = new Dictionary<string, Assembly>(StringComparer.Ordinal);
        foreach (var name in ServiceAssemblyNames)
        {
            if (TryLoad(name) is { } assembly)
            {
                services.Add(name, assembly);
            }
            else if (RepositoryHasProject(name))
            {
                throw new InvalidOperationException(
                    $"The repository has a project {name}, but its assembly is not in the test output: reference it from Architecture.Tests.csproj.");
            }
        }

        return services;
    }

    private static Assembly? TryLoad(string name)
    {
        try
        {
            return Assembly.Load(new AssemblyName(name));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private static bool RepositoryHasProject(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Library.Aspire.sln")))
            {
                return File.Exists(Path.Combine(directory.FullName, name, name + ".csproj"));
            }
        }

        return false;
    }
}
