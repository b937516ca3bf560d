using Library.Lending.Api;
using Library.Lending.Application;
using Library.Lending.Infrastructure.Persistence;
using Library.SharedKernel.Http;
using Library.SharedKernel.Persistence;
using Library.SharedKernel.Resources;
using Library.SharedKernel.Security;
using Microsoft.EntityFrameworkCore;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApiDefaults();
builder.AddNpgsqlDbContext<LendingDbContext>(
    ResourceNames.LendingDb,
    ClientIntegrations.Npgsql,
    options => options.UseNpgsql(LendingDbContext.ConfigureNpgsql).UseSnakeCaseNamingConvention());
builder.AddRedisClient(ResourceNames.Redis, configureOptions: ClientIntegrations.Redis);
builder.AddRabbitMQClient(ResourceNames.EventBus, configureConnectionFactory: ClientIntegrations.RabbitMQ);
builder.AddEtcdClient(ResourceNames.Etcd);
builder.Services.AddOpenApi();
builder.Services.AddLendingApplication();
builder.AddLibraryAuthentication();

var app = builder.Build();

app.UseLibraryServicePipeline<LendingDbContext>();
app.MapOpenApi().AllowAnonymous();
app.MapLoansApi();

await app.MigrateDatabaseAsync<LendingDbContext>();
await app.RunAsync();
