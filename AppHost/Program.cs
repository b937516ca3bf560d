using Library.Hosting;
using Library.SharedKernel.Resources;
using Microsoft.Extensions.Configuration;

// LIBRARY_RESOURCE_LOGS=1 also writes every resource's console output to the AppHost's (the dashboard has them all).
var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
{
    Args = args,
    EnableResourceLogging = Environment.GetEnvironmentVariable("LIBRARY_RESOURCE_LOGS") == "1",
});
try
{
    // If another run holds the fixed ports, say so in one line instead of letting a child fail to bind. (Tests
    // choose free Gateway ports and have no dashboard; the testing builder randomizes every other port.)
    var gatewayPort = builder.Configuration.GetValue("Gateway:Port", 8080);
    var gatewayCount = Math.Max(1, builder.Configuration.GetValue($"Replicas:{ResourceNames.Gateway}", 1));
    builder.EnsurePortsAreFree([.. Enumerable.Range(gatewayPort, gatewayCount).Select(port => ("a Gateway", (int?)port))]);
    if (!builder.Configuration.GetValue("DcpPublisher:RandomizePorts", false))
    {
        builder.EnsurePortsAreFree(("the dashboard", LocalRunExtensions.PortOf(builder.Configuration["ASPNETCORE_URLS"])));
    }

    // The servers run from the operating system's packages (no container registry is reachable): see decision 0014.
    var postgres = builder.AddPostgresServer(ResourceNames.Postgres);
    var catalogDb = postgres.AddDatabase(ResourceNames.CatalogDb, schema: "catalog");
    var lendingDb = postgres.AddDatabase(ResourceNames.LendingDb, schema: "lending");
    var patronDb = postgres.AddDatabase(ResourceNames.PatronDb, schema: "patron");
    var redis = builder.AddRedisServer(ResourceNames.Redis);
    var eventBus = builder.AddRabbitMQServer(ResourceNames.EventBus);

    // Live configuration (SPEC §6): the values operators tune, seeded as defaults; change them in etcd
    // (e.g. etcdctl put /library/lending/Lending/Policy/Regular/MaxLoans 3) and the services apply them at once.
    var etcd = builder.AddEtcdServer(ResourceNames.Etcd).WithSeed(new Dictionary<string, string>
    {
        ["/library/lending/Lending/Policy/Regular/MaxLoans"] = "5",
        ["/library/lending/Lending/Policy/Regular/LoanDays"] = "14",
        ["/library/lending/Lending/Policy/Premium/MaxLoans"] = "10",
        ["/library/lending/Lending/Policy/Premium/LoanDays"] = "21",
        ["/library/lending/Lending/Policy/Researcher/MaxLoans"] = "20",
        ["/library/lending/Lending/Policy/Researcher/LoanDays"] = "30",
        ["/library/shared/Cache/Ttl"] = "00:02:00",
        ["/library/catalog/Catalog/ReservationTtl"] = "00:05:00",
        ["/library/gateway/RateLimits/Login/PermitLimit"] = "5",
        ["/library/gateway/RateLimits/Register/PermitLimit"] = "3",
        ["/library/gateway/RateLimits/General/PermitLimit"] = "600",
        ["/library/shared/Resilience/Breakers/redis/BreakDuration"] = "00:00:05",
        ["/library/catalog/Resilience/Breakers/patron-api/BreakDuration"] = "00:00:05",
    });

    // SPEC §5: the first admin comes from the operator's environment; without a password one is generated for
    // this run (its databases are new) and printed once the Gateway is up. None is compiled in.
    var adminEmail = builder.Configuration["LIBRARY_ADMIN_EMAIL"] is { Length: > 0 } email ? email : "admin@library.local";
    var adminPasswordGiven = builder.Configuration["LIBRARY_ADMIN_PASSWORD"] is { Length: > 0 };
    var adminPassword = adminPasswordGiven
        ? builder.AddParameter("admin-password", builder.Configuration["LIBRARY_ADMIN_PASSWORD"]!, secret: true)
        : builder.AddParameter("admin-password", new GenerateParameterDefault { MinLength = 20, Special = false, MinLower = 1, MinUpper = 1, MinNumeric = 1 }, secret: true);

    // A service waits for what it cannot serve without (its database, the broker), not for Redis or etcd: it runs
    // Degraded without them (cache bypassed, deny-list and limits in memory, last configuration read), so it can
    // also be restarted while either is down. They are referenced, and connected to as soon as they are up.
    var patronApi = builder.AddService<Projects.Patron_Service>(ResourceNames.PatronApi)
        .WithEnvironment("Bootstrap__AdminEmail", adminEmail)
        .WithEnvironment("Bootstrap__AdminPassword", adminPassword)
        .WithReference(patronDb).WaitFor(patronDb)
        .WithReference(redis)
        .WithReference(eventBus).WaitFor(eventBus)
        .WithReference(etcd)
        .WithHttpHealthCheck(ReadinessPath)
        .WithLocalRunSettings().WithReplicasFromConfiguration();

    // Development stand-in for SendGrid: Lending's mail goes here; see it at its URL (the page, or GET /messages).
    var mailKey = builder.AddParameter("mail-api-key", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true);
    var mail = builder.AddService<Projects.MailCapture>(ResourceNames.Mail)
        .WithEnvironment("SendGrid__ApiKey", mailKey)
        .WithHttpHealthCheck("/health");
    // (The mail capture keeps what it receives in memory: one instance.)

    var lendingApi = builder.AddService<Projects.Lending_Service>(ResourceNames.LendingApi)
        .WithEnvironment("SendGrid__Host", mail.GetEndpoint("http"))
        .WithEnvironment("SendGrid__ApiKey", mailKey).WaitFor(mail)
        .WithReference(lendingDb).WaitFor(lendingDb)
        .WithReference(patronApi)
        .WithReference(redis)
        .WithReference(eventBus).WaitFor(eventBus)
        .WithReference(etcd)
        .WithHttpHealthCheck(ReadinessPath)
        .WithLocalRunSettings().WithReplicasFromConfiguration();

    var catalogApi = builder.AddService<Projects.Catalog_Service>(ResourceNames.CatalogApi)
        .WithReference(catalogDb).WaitFor(catalogDb)
        .WithReference(redis)
        .WithReference(eventBus).WaitFor(eventBus)
        .WithReference(etcd)
        .WithReference(patronApi).WaitFor(patronApi)
        .WithHttpHealthCheck(ReadinessPath)
        .WithLocalRunSettings().WithReplicasFromConfiguration();

    // The Gateway's endpoint is not proxied by the orchestrator: clients reach it directly, so it sees their
    // addresses (its rate limits are per IP) and there is no extra hop. More Gateways (--Replicas:gateway=N) are
    // more resources on the next ports, sharing Redis: gateway, gateway-2, …
    for (var instance = 1; instance <= gatewayCount; instance++)
    {
        var port = gatewayPort + instance - 1;
        var gateway = builder.AddProject<Projects.Gateway>(instance == 1 ? ResourceNames.Gateway : $"{ResourceNames.Gateway}-{instance}", launchProfileName: null)
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName)
            .WithHttpEndpoint(port: port, targetPort: port, isProxied: false)
            .WithReference(redis)
            .WithReference(etcd)
            .WithReference(catalogApi).WaitFor(catalogApi)
            .WithReference(patronApi).WaitFor(patronApi)
            .WithReference(lendingApi).WaitFor(lendingApi)
            .WithHttpHealthCheck(ReadinessPath)
            .WithLocalRunSettings(ResourceNames.Gateway);
        if (instance == 1)
        {
            gateway.WithReadyNotice(async (_, cancellationToken) =>
            [
                $"The Library API is at {gateway.GetEndpoint("http").Url} (API reference: {gateway.GetEndpoint("http").Url}/docs).",
                adminPasswordGiven
                    ? $"Admin sign-in: {adminEmail} with the password from LIBRARY_ADMIN_PASSWORD."
                    : $"Admin sign-in for this run: {adminEmail} / {await adminPassword.Resource.GetValueAsync(cancellationToken)} (generated; set LIBRARY_ADMIN_EMAIL and LIBRARY_ADMIN_PASSWORD to choose them).",
            ]);
        }
    }
}
catch (Exception e) when (e is MissingServerException or PortInUseException)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 1;
}

await builder.Build().RunAsync();
return 0;

internal static partial class Program
{
    /// <summary>
    /// A project on a port the orchestrator chooses (behind its proxy): the services' launch profiles (fixed ports,
    /// for running one alone) are not used, so runs side by side never collide. Its environment is the AppHost's.
    /// </summary>
    private static IResourceBuilder<ProjectResource> AddService<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new()
        => builder.AddProject<TProject>(name, launchProfileName: null)
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName)
            .WithHttpEndpoint();

    // Whoever waits for a service waits until it can serve: migrated, connected to its database and broker.
    private const string ReadinessPath = "/health/ready";
}
