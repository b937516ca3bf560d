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

var patronApi = builder.AddProject(ResourceNames.PatronApi, "../Patron.Service/Patron.Service.csproj")
    .WithReference(patronDb).WaitFor(patronDb)
    .WithReference(redis).WaitFor(redis)
    .WithReference(eventBus).WaitFor(eventBus)
    .WithReference(etcd).WaitFor(etcd);

var lendingApi = builder.AddProject(ResourceNames.LendingApi, "../Lending.Service/Lending.Service.csproj")
    .WithReference(lendingDb).WaitFor(lendingDb)
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
