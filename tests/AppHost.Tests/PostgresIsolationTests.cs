using Library.Hosting;
using Library.SharedKernel.Resources;
using Library.Testing;
using Npgsql;

[assembly: AssemblyFixture(typeof(Library.AppHost.Tests.AppModelServers))]

namespace Library.AppHost.Tests;

/// <summary>The servers of the real app model, once for this assembly (the run-command tests start whole AppHosts of their own).</summary>
public sealed class AppModelServers : AppHostServers, IAsyncLifetime
{
    public PostgresServerResource Postgres => App.Resources().OfType<PostgresServerResource>().Single();

    public async Task<string> AdminConnectionStringAsync(string database = "postgres")
        => new NpgsqlConnectionStringBuilder(await Postgres.ConnectionStringExpression.GetValueAsync(default)) { Database = database, Pooling = false }.ConnectionString;
}

/// <summary>SPEC §2 and §5: each context's role reaches only its own database, always with a scram password.</summary>
public sealed class PostgresIsolationTests(AppModelServers servers)
{
    private string Catalog => servers.ConnectionStrings[ResourceNames.CatalogDb];

    [Fact]
    public async Task Role_ConnectsToItsOwnDatabaseWithItsSearchPathOnItsSchema()
    {
        await using var connection = new NpgsqlConnection(Catalog);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_user || ' ' || current_schema()", connection);

        (await command.ExecuteScalarAsync()).ShouldBe("catalog catalog");
    }

    [Fact]
    public async Task Role_CannotConnectToAnotherContextsDatabase()
    {
        var intruder = new NpgsqlConnectionStringBuilder(Catalog) { Database = ResourceNames.LendingDb };
        await using var connection = new NpgsqlConnection(intruder.ConnectionString);

        var error = await Should.ThrowAsync<PostgresException>(() => connection.OpenAsync());
        error.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("template1")]
    public async Task Role_CannotConnectToTheMaintenanceDatabases(string database)
    {
        var intruder = new NpgsqlConnectionStringBuilder(Catalog) { Database = database };
        await using var connection = new NpgsqlConnection(intruder.ConnectionString);

        (await Should.ThrowAsync<PostgresException>(() => connection.OpenAsync())).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [Fact]
    public async Task Role_CannotBecomeOrActAsTheSuperuser()
    {
        await using var connection = new NpgsqlConnection(Catalog);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SET ROLE postgres", connection);

        (await Should.ThrowAsync<PostgresException>(() => command.ExecuteNonQueryAsync())).SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    [Fact]
    public async Task Role_CannotCreateInThePublicSchema()
    {
        await using var connection = new NpgsqlConnection(Catalog);
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
        var attempt = new NpgsqlConnectionStringBuilder(Catalog) { Username = user, Password = password, Pooling = false };
        await using var connection = new NpgsqlConnection(attempt.ConnectionString);

        await Should.ThrowAsync<NpgsqlException>(() => connection.OpenAsync());
    }

    [Fact]
    public async Task ClientAuthentication_UsesScramEverywhereAndNeverTrust()
    {
        await using var connection = new NpgsqlConnection(await servers.AdminConnectionStringAsync());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT array_agg(DISTINCT auth_method) FROM pg_hba_file_rules", connection);

        ((string[])(await command.ExecuteScalarAsync())!).ShouldBe(["scram-sha-256"]);
    }

    [Fact]
    public async Task TheServer_KeepsTheSettingsTheProductReliesOn()
    {
        await using var connection = new NpgsqlConnection(await servers.AdminConnectionStringAsync());
        await connection.OpenAsync();
        foreach (var (setting, value) in new[] { ("wal_level", "logical"), ("synchronous_commit", "on"), ("password_encryption", "scram-sha-256"), ("listen_addresses", "127.0.0.1") })
        {
            await using var command = new NpgsqlCommand($"SHOW {setting}", connection);
            (await command.ExecuteScalarAsync()).ShouldBe(value, setting);
        }
    }
}
