using Library.Patron.Api;
using Library.Patron.Application;
using Library.Patron.Application.Accounts;
using Library.Patron.Infrastructure.Persistence;
using Library.SharedKernel.Http;
using Library.SharedKernel.Messaging;
using Library.SharedKernel.Persistence;
using Library.SharedKernel.Resources;
using Library.SharedKernel.Security;
using Microsoft.EntityFrameworkCore;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApiDefaults();
builder.AddNpgsqlDbContext<PatronDbContext>(
    ResourceNames.PatronDb,
    ClientIntegrations.Npgsql,
    options => options.UseNpgsql(PatronDatabase.ConfigureNpgsql).UseSnakeCaseNamingConvention());
builder.AddRedisClient(ResourceNames.Redis, configureOptions: ClientIntegrations.Redis);
builder.AddRabbitMQClient(ResourceNames.EventBus, configureConnectionFactory: ClientIntegrations.RabbitMQ);
builder.AddEtcdClient(ResourceNames.Etcd);
builder.Services.AddOpenApi();
builder.Services.AddPatronApplication(builder.Configuration);
builder.AddLibraryAuthentication();
builder.Services.AddOutboxRelay<PatronDbContext>();

var app = builder.Build();

app.UseLibraryServicePipeline<PatronDbContext>();
app.MapOpenApi().AllowAnonymous();
app.MapPatronsApi();
app.MapAuthApi();

await app.MigrateDatabaseAsync<PatronDbContext>();
await app.Services.GetRequiredService<Library.Patron.Infrastructure.Security.SigningKeyRing>().EnsureActiveKeyAsync(CancellationToken.None);
await AdminBootstrap.RunAsync(app.Services);
await app.RunAsync();
