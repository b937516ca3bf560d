using Microsoft.Extensions.Configuration;
using Library.AppHost.Hosting;
using Library.SharedKernel.Resources;

var builder = DistributedApplication.CreateBuilder(args);

var postgres = builder.AddPostgres(ResourceNames.Postgres);
var catalogDb = postgres.AddDatabase(ResourceNames.CatalogDb, schema: "catalog");
var lendingDb = postgres.AddDatabase(ResourceNames.LendingDb, schema: "lending");
var patronDb = postgres.AddDatabase(ResourceNames.PatronDb, schema: "patron");

var redis = builder.AddRedis(ResourceNames.Redis);
var eventBus = builder.AddRabbitMQ(ResourceNames.EventBus);
// Live configuration (SPEC §6): the values operators tune, seeded as defaults; change them in etcd
// (e.g. etcdctl put /library/lending/Lending/Policy/Regular/MaxLoans 3) and the services apply them at once.
var etcd = builder.AddEtcd(ResourceNames.Etcd).WithSeed(new Dictionary<string, string>
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
// this run (its databases are new) and printed once, under the resource table. None is compiled in.
var adminEmail = builder.Configuration["LIBRARY_ADMIN_EMAIL"] is { Length: > 0 } email ? email : "admin@library.local";
var adminPassword = builder.Configuration["LIBRARY_ADMIN_PASSWORD"];
if (string.IsNullOrEmpty(adminPassword))
{
    adminPassword = AdminPassword.Generate();
    builder.StartupNotices.Add($"Admin sign-in for this run: {adminEmail} / {adminPassword} (generated; set LIBRARY_ADMIN_EMAIL and LIBRARY_ADMIN_PASSWORD to choose them).");
}

var patronApi = builder.AddProject(ResourceNames.PatronApi, "../Patron.Service/Patron.Service.csproj")
    .WithEnvironment("Bootstrap__AdminEmail", adminEmail)
    .WithEnvironment("Bootstrap__AdminPassword", adminPassword)
    .WithReference(patronDb).WaitFor(patronDb)
    .WithReference(redis).WaitFor(redis)
    .WithReference(eventBus).WaitFor(eventBus)
    .WithReference(etcd).WaitFor(etcd);

// Development stand-in for SendGrid: Lending's mail goes here; see it at its URL (GET /messages, or the page).
var mail = builder.AddMailCapture(ResourceNames.Mail);

var lendingApi = builder.AddProject(ResourceNames.LendingApi, "../Lending.Service/Lending.Service.csproj")
    .WithMailCapture(mail)
    .WithReference(lendingDb).WaitFor(lendingDb)
    .WithReference(patronApi)
    .WithReference(redis).WaitFor(redis)
    .WithReference(eventBus).WaitFor(eventBus)
    .WithReference(etcd).WaitFor(etcd);

var catalogApi = builder.AddProject(ResourceNames.CatalogApi, "../Catalog.Service/Catalog.Service.csproj")
    .WithReference(catalogDb).WaitFor(catalogDb)
    .WithReference(redis).WaitFor(redis)
    .WithReference(eventBus).WaitFor(eventBus)
    .WithReference(etcd).WaitFor(etcd)
    .WithReference(patronApi).WaitFor(patronApi);

builder.AddProject(ResourceNames.Gateway, "../Gateway/Gateway.csproj")
    .WithExternalHttpEndpoint(port: builder.Configuration.GetValue("Gateway:Port", 8080))
    .WithReference(redis).WaitFor(redis)
    .WithReference(etcd).WaitFor(etcd)
    .WithReference(catalogApi).WaitFor(catalogApi)
    .WithReference(patronApi).WaitFor(patronApi)
    .WithReference(lendingApi).WaitFor(lendingApi);

// More instances of a service on request (--Replicas:catalog-api=2): callers balance over all of them.
foreach (var replicas in builder.Configuration.GetSection("Replicas").GetChildren())
{
    for (var i = 2; i <= replicas.Get<int>(); i++)
    {
        builder.AddReplica(replicas.Key, $"{replicas.Key}-{i}");
    }
}

await builder.Build().RunAsync();

/// <summary>The AppHost's entry point; the testing builder runs it up to Build() to take the app model.</summary>
public partial class Program;
