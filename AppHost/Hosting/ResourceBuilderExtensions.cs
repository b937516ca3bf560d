using Library.AppHost.Hosting.Resources;

namespace Library.AppHost.Hosting;

/// <summary>The app-model vocabulary of Aspire, over our own resources.</summary>
public static class ResourceBuilderExtensions
{
    public static IResourceBuilder<PostgresServerResource> AddPostgres(this DistributedApplicationBuilder builder, string name)
        => builder.AddResource(new PostgresServerResource(name));

    /// <summary>A database owned by its own role (named after the schema) holding the context's schema.</summary>
    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(this IResourceBuilder<PostgresServerResource> server, string name, string schema)
    {
        ArgumentNullException.ThrowIfNull(server);
        var database = new PostgresDatabaseResource(name, server.Resource, role: schema, schema: schema);
        server.Resource.AddDatabase(database);
        database.AddWaitFor(server.Resource);
        return server.ApplicationBuilder.AddResource(database);
    }

    public static IResourceBuilder<RedisResource> AddRedis(this DistributedApplicationBuilder builder, string name)
        => builder.AddResource(new RedisResource(name));

    public static IResourceBuilder<RabbitMQServerResource> AddRabbitMQ(this DistributedApplicationBuilder builder, string name)
        => builder.AddResource(new RabbitMQServerResource(name));

    public static IResourceBuilder<EtcdResource> AddEtcd(this DistributedApplicationBuilder builder, string name)
        => builder.AddResource(new EtcdResource(name));

    /// <summary>A service project; the path is relative to the AppHost folder, as in Aspire's AddProject(name, path).</summary>
    public static IResourceBuilder<ProjectResource> AddProject(this DistributedApplicationBuilder builder, string name, string projectPath)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var fullPath = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, projectPath));
        return builder.AddResource(new ProjectResource(name, fullPath));
    }

    public static IResourceBuilder<Resources.MailCaptureResource> AddMailCapture(this DistributedApplicationBuilder builder, string name)
        => builder.AddResource(new Resources.MailCaptureResource(name));

    /// <summary>Points the project's SendGrid client at the capture (SendGrid__Host, SendGrid__ApiKey).</summary>
    public static IResourceBuilder<ProjectResource> WithMailCapture(this IResourceBuilder<ProjectResource> project, IResourceBuilder<Resources.MailCaptureResource> mail)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(mail);
        project.Resource.SetEnvironment("SendGrid__Host", () => mail.Resource.HttpEndpoint.ToString().TrimEnd('/'));
        project.Resource.SetEnvironment("SendGrid__ApiKey", () => Resources.MailCaptureResource.ApiKey);
        project.Resource.AddWaitFor(mail.Resource);
        return project;
    }

    /// <summary>Seeds etcd with keys (written only where absent) once it is ready: the live configuration's defaults.</summary>
    public static IResourceBuilder<Resources.EtcdResource> WithSeed(this IResourceBuilder<Resources.EtcdResource> etcd, IEnumerable<KeyValuePair<string, string>> keys)
    {
        ArgumentNullException.ThrowIfNull(etcd);
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var (key, value) in keys)
        {
            etcd.Resource.Seed[key] = value;
        }

        return etcd;
    }

    /// <summary>A second instance of a project (e.g. two gateways sharing Redis), with the original's references and environment.</summary>
    public static IResourceBuilder<ProjectResource> AddReplica(this DistributedApplicationBuilder builder, string originalName, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var original = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == originalName);
        var replica = original.CreateReplica(name);

        // The original starts first (it applies the migrations), and whoever waits for it waits for every instance.
        replica.AddWaitFor(original);
        foreach (var dependent in builder.Resources.Where(r => r.WaitsFor.Contains(original)).ToList())
        {
            dependent.AddWaitFor(replica);
        }

        return builder.AddResource(replica);
    }

    public static IResourceBuilder<ProjectResource> WithReference<TSource>(this IResourceBuilder<ProjectResource> project, IResourceBuilder<TSource> source)
        where TSource : Resource
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(source);
        switch (source.Resource)
        {
            case IResourceWithConnectionString withConnectionString:
                project.Resource.Reference(withConnectionString);
                break;
            case IResourceWithServiceDiscovery discoverable:
                project.Resource.Reference(discoverable);
                break;
            default:
                throw new InvalidOperationException($"'{source.Resource.Name}' has neither a connection string nor an HTTP endpoint to reference.");
        }

        return project;
    }

    /// <summary>Do not start until the other resource is running and healthy.</summary>
    public static IResourceBuilder<T> WaitFor<T, TOther>(this IResourceBuilder<T> resource, IResourceBuilder<TOther> other)
        where T : Resource
        where TOther : Resource
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(other);
        resource.Resource.AddWaitFor(other.Resource);
        return resource;
    }

    public static IResourceBuilder<ProjectResource> WithEnvironment(this IResourceBuilder<ProjectResource> project, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(project);
        project.Resource.SetEnvironment(name, () => value);
        return project;
    }

    /// <summary>Serve on a fixed port reachable as http://localhost:port (0 = any free port).</summary>
    public static IResourceBuilder<ProjectResource> WithExternalHttpEndpoint(this IResourceBuilder<ProjectResource> project, int port)
    {
        ArgumentNullException.ThrowIfNull(project);
        project.Resource.SetPort(port, external: true);
        return project;
    }
}
