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
var etcd = builder.AddEtcd(ResourceNames.Etcd);

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

var lendingApi = builder.AddProject(ResourceNames.LendingApi, "../Lending.Service/Lending.Service.csproj")
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
    .WithReference(catalogApi).WaitFor(catalogApi)
    .WithReference(patronApi).WaitFor(patronApi)
    .WithReference(lendingApi).WaitFor(lendingApi);

await builder.Build().RunAsync();

/// <summary>The AppHost's entry point; the testing builder runs it up to Build() to take the app model.</summary>
public partial class Program;
