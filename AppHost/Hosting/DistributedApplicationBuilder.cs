using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Library.AppHost.Hosting;

/// <summary>Options a host (the console or the testing builder) chooses for a run.</summary>
public sealed class DistributedApplicationOptions
{
    public string[] Args { get; init; } = [];

    /// <summary>Stream resource logs to the console with a prefix (interactive runs).</summary>
    public bool WriteLogsToConsole { get; init; } = true;

    /// <summary>Trade durability for speed; set by the testing builder.</summary>
    public bool Ephemeral { get; init; }

    /// <summary>Where run folders live; default /tmp/library-apphost.</summary>
    public string? DataRoot { get; init; }
}

/// <summary>Shaped like Aspire's IDistributedApplicationBuilder: collect resources, then Build().</summary>
public sealed class DistributedApplicationBuilder
{
    private readonly List<Resource> _resources = [];

    internal DistributedApplicationBuilder(DistributedApplicationOptions options)
    {
        Options = options;
        Configuration = new ConfigurationManager();
        Configuration.AddEnvironmentVariables();
        Configuration.AddCommandLine(options.Args);
        RepositoryRoot = typeof(DistributedApplicationBuilder).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .First(a => a.Key == "Library.RepositoryRoot").Value!;
        AppHostDirectory = Path.Combine(RepositoryRoot, "AppHost");
    }

    public DistributedApplicationOptions Options { get; }

    public ConfigurationManager Configuration { get; }

    public string RepositoryRoot { get; }

    public string AppHostDirectory { get; }

    public IReadOnlyList<Resource> Resources => _resources;

    /// <summary>Lines printed once, under the resource table, when the run is up (e.g. a generated admin password).</summary>
    public IList<string> StartupNotices { get; } = [];

    public IResourceBuilder<T> AddResource<T>(T resource)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (_resources.Any(r => r.Name == resource.Name))
        {
            throw new InvalidOperationException($"A resource named '{resource.Name}' already exists.");
        }

        _resources.Add(resource);
        return new ResourceBuilder<T>(this, resource);
    }

    public DistributedApplication Build()
    {
        // Under the testing builder the app model is captured here instead of being run.
        if (TestingHook.Current is { } hook)
        {
            hook(this);
            throw new AppModelCapturedException();
        }

        return new DistributedApplication(this);
    }
}

public interface IResourceBuilder<out T>
    where T : Resource
{
    DistributedApplicationBuilder ApplicationBuilder { get; }

    T Resource { get; }
}

internal sealed class ResourceBuilder<T>(DistributedApplicationBuilder builder, T resource) : IResourceBuilder<T>
    where T : Resource
{
    public DistributedApplicationBuilder ApplicationBuilder { get; } = builder;

    public T Resource { get; } = resource;
}

/// <summary>
/// Lets the testing builder run an AppHost's Program up to Build() and take its app model, the way
/// WebApplicationFactory takes a web app's host builder.
/// </summary>
public static class TestingHook
{
    private static readonly AsyncLocal<Action<DistributedApplicationBuilder>?> s_current = new();
    private static readonly AsyncLocal<DistributedApplicationOptions?> s_options = new();

    internal static Action<DistributedApplicationBuilder>? Current => s_current.Value;

    internal static DistributedApplicationOptions? Options => s_options.Value;

    public static void Set(Action<DistributedApplicationBuilder> onBuild, DistributedApplicationOptions options)
    {
        s_current.Value = onBuild;
        s_options.Value = options;
    }
}

public sealed class AppModelCapturedException() : Exception("The app model was captured by the testing builder.");
