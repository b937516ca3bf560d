using Microsoft.EntityFrameworkCore;
using Library.Catalog.Api;
using Library.Catalog.Application;
using Library.Catalog.Infrastructure.Persistence;
using Library.SharedKernel.Http;
using Library.SharedKernel.Persistence;
using Library.SharedKernel.Resources;
using Library.SharedKernel.Security;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApiDefaults();
builder.AddNpgsqlDbContext<CatalogDbContext>(
    ResourceNames.CatalogDb,
    ClientIntegrations.Npgsql,
    options => options.UseNpgsql(CatalogDatabase.ConfigureNpgsql).UseSnakeCaseNamingConvention());
builder.AddRedisClient(ResourceNames.Redis, configureOptions: ClientIntegrations.Redis);
builder.AddRabbitMQClient(ResourceNames.EventBus, configureConnectionFactory: ClientIntegrations.RabbitMQ);
builder.AddEtcdClient(ResourceNames.Etcd);
builder.Services.AddOpenApi();
builder.Services.AddCatalogApplication();
builder.AddLibraryAuthentication();

var app = builder.Build();

app.UseLibraryServicePipeline<CatalogDbContext>();
app.MapOpenApi().AllowAnonymous();
app.MapBooksApi();
app.MapBorrowingApi();

await app.MigrateDatabaseAsync<CatalogDbContext>();
await app.RunAsync();
