using Microsoft.EntityFrameworkCore;
using Library.Catalog.Api;
using Library.Catalog.Application;
using Library.Catalog.Infrastructure.Persistence;
using Library.SharedKernel.Caching;
using Library.SharedKernel.Http;
using Library.SharedKernel.Idempotency;
using Library.SharedKernel.Persistence;
using Library.SharedKernel.Resilience;
using Library.SharedKernel.Resources;
using Library.SharedKernel.Security;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApiDefaults();
builder.AddNpgsqlDbContext<CatalogDbContext>(
    ResourceNames.CatalogDb,
    CatalogDatabase.ConfigureNpgsql,
    options => options.UseSnakeCaseNamingConvention());
builder.AddRedisClient(ResourceNames.Redis);
builder.AddRabbitMQClient(ResourceNames.EventBus);
builder.AddEtcdClient(ResourceNames.Etcd);
builder.Services.AddOpenApi();
builder.Services.AddCatalogApplication();
builder.AddLibraryAuthentication();

var app = builder.Build();

app.UseApiDefaults();
app.UseLibraryAuthentication();
app.UseCacheInvalidation();
app.UseIdempotencyReceipts<CatalogDbContext>();
app.MapOpenApi().AllowAnonymous();
app.MapDefaultEndpoints();
app.MapCircuitsEndpoint();
app.MapCacheStatsEndpoint();
app.MapBooksApi();
app.MapBorrowingApi();

await app.MigrateDatabaseAsync<CatalogDbContext>();
await app.RunAsync();
