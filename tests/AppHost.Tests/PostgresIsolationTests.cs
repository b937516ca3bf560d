using Library.AppHost.Hosting;
using Library.AppHost.Hosting.Resources;
using Library.Testing;
using Npgsql;

namespace Library.AppHost.Tests;

/// <summary>SPEC §2 and §5: each context's role reaches only its own database, always with a scram password.</summary>
public sealed class PostgresIsolationTests : IAsyncLifetime
{
    private DistributedApplication _app = null!;
    private PostgresServerResource _server = null!;
    private PostgresDatabaseResource _catalog = null!;
    private PostgresDatabaseResource _lending = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        var postgres = builder.Builder.AddPostgres("postgres");
        _catalog = postgres.AddDatabase("catalogdb", schema: "catalog").Resource;
        _lending = postgres.AddDatabase("lendingdb", schema: "lending").Resource;
        _server = postgres.Resource;
        _app = builder.Build();
        await _app.StartAsync();
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Role_ConnectsToItsOwnDatabaseWithItsSearchPathOnItsSchema()
    {
        await using var connection = new NpgsqlConnection(_catalog.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_user || ' ' || current_schema()", connection);

        (await command.ExecuteScalarAsync()).ShouldBe("catalog catalog");
    }

    [Fact]
    public async Task Role_CannotConnectToAnotherContextsDatabase()
    {
        var intruder = new NpgsqlConnectionStringBuilder(_catalog.ConnectionString) { Database = _lending.Name };
        await using var connection = new NpgsqlConnection(intruder.ConnectionString);

        var error = await Should.ThrowAsync<PostgresException>(() => connection.OpenAsync());
        error.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("template1")]
    public async Task Role_CannotConnectToTheMaintenanceDatabases(string database)
    {
        var intruder = new NpgsqlConnectionStringBuilder(_catalog.ConnectionString) { Database = database };
        await using var connection = new NpgsqlConnection(intruder.ConnectionString);

        (await Should.ThrowAsync<PostgresException>(() => connection.OpenAsync())).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [Fact]
    public async Task Role_CannotBecomeOrActAsTheSuperuser()
    {
        await using var connection = new NpgsqlConnection(_catalog.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SET ROLE postgres", connection);

        (await Should.ThrowAsync<PostgresException>(() => command.ExecuteNonQueryAsync())).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [Fact]
    public async Task Role_CannotCreateInThePublicSchema()
    {
        await using var connection = new NpgsqlConnection(_catalog.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("CREATE TABLE public.sneaky (id int)", connection);

        (await Should.ThrowAsync<PostgresException>(() => command.ExecuteNonQueryAsync())).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [Theory]
    [InlineData("catalog", "wrong-password")]
    [InlineData("postgres", "wrong-password")]
    [InlineData("postgres", "")]
    public async Task WrongOrMissingPassword_IsRefused(string user, string password)
    {
        var attempt = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = _server.Port, Username = user, Password = password, Database = "catalogdb", Pooling = false };
        await using var connection = new NpgsqlConnection(attempt.ConnectionString);

        await Should.ThrowAsync<NpgsqlException>(() => connection.OpenAsync());
    }

    [Fact]
    public async Task ClientAuthentication_UsesScramEverywhereAndNeverTrust()
    {
        await using var connection = new NpgsqlConnection(_server.AdminConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT array_agg(DISTINCT auth_method) FROM pg_hba_file_rules", connection);

        ((string[])(await command.ExecuteScalarAsync())!).ShouldBe(["scram-sha-256"]);
    }
}
