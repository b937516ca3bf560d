using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Library.AppHost.Hosting.Resources;

/// <summary>
/// A PostgreSQL 15 cluster in the run folder, initialised with scram-sha-256 for every connection (never trust)
/// and a random superuser password. Databases added to it get their own owner role and schema.
/// </summary>
public sealed class PostgresServerResource(string name) : ExecutableResource(name)
{
    private const string Superuser = "postgres";
    private readonly List<PostgresDatabaseResource> _databases = [];
    private string _binDirectory = "/usr/lib/postgresql/15/bin";
    private string _directory = string.Empty;

    public int Port { get; private set; }

    internal string SuperuserPassword { get; private set; } = string.Empty;

    public IReadOnlyList<PostgresDatabaseResource> Databases => _databases;

    public override string DisplayUrl => $"postgresql://127.0.0.1:{Port}";

    internal string AdminConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = Superuser,
        Password = SuperuserPassword,
        Database = database,
        Pooling = false,
        Timeout = 5,
    }.ConnectionString;

    internal void AddDatabase(PostgresDatabaseResource database) => _databases.Add(database);

    internal override void Allocate(OrchestratorContext context)
    {
        Port = context.Ports.Next();
        SuperuserPassword = NewSecret();
        _binDirectory = context.Configuration["Postgres:BinDirectory"] ?? _binDirectory;
        _directory = Path.Combine(context.RunDirectory, Name);
    }

    internal override void CheckPrerequisites(OrchestratorContext context)
    {
        RequireBinary(Path.Combine(_binDirectory, "postgres"), "postgresql");
        RequireBinary(Path.Combine(_binDirectory, "initdb"), "postgresql");
        RequireBinary("setpriv", "util-linux");
    }

    protected override async Task PrepareAsync(OrchestratorContext context, CancellationToken cancellationToken)
    {
        if (Directory.Exists(Path.Combine(_directory, "data")))
        {
            return; // a restart: the cluster is already initialised
        }

        // PostgreSQL refuses to run as root; the folder must belong to the postgres user.
        Directory.CreateDirectory(_directory);
        await RunAsync("chown", ["postgres:postgres", _directory], context, cancellationToken);
        var passwordFile = Path.Combine(_directory, "pwfile");
        await File.WriteAllTextAsync(passwordFile, SuperuserPassword, cancellationToken);
        await RunAsync("chown", ["postgres:postgres", passwordFile], context, cancellationToken);
        await RunAsync("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", Path.Combine(_binDirectory, "initdb"),
            "-D", Path.Combine(_directory, "data"), "-U", Superuser, "--pwfile=" + passwordFile,
            "-A", "scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "-N"], context, cancellationToken);
        File.Delete(passwordFile);
    }

    protected override ProcessSpec CreateProcessSpec(OrchestratorContext context)
    {
        List<string> args = ["--reuid=postgres", "--regid=postgres", "--init-groups", Path.Combine(_binDirectory, "postgres"),
            "-D", Path.Combine(_directory, "data"), "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", _directory,
            "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300",
            "-c", "wal_level=logical", "-c", "max_replication_slots=10", "-c", "max_wal_senders=10",
            "-c", "password_encryption=scram-sha-256", "-c", "synchronous_commit=on"];
        if (context.Ephemeral)
        {
            args.AddRange(["-c", "fsync=off", "-c", "full_page_writes=off"]);
        }

        // setpriv execs, so the pid we hold is the postmaster; SIGINT is PostgreSQL's fast shutdown.
        return new ProcessSpec("setpriv", args, new Dictionary<string, string>(), _directory) { StopSignal = Native.SIGINT };
    }

    protected override async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync(cancellationToken);
        return true;
    }

    protected override async Task AfterReadyAsync(OrchestratorContext context, CancellationToken cancellationToken)
    {
        // Only database owners may connect to their databases; nobody but the superuser reaches the maintenance ones.
        await using var connection = new NpgsqlConnection(AdminConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("REVOKE ALL ON DATABASE postgres FROM PUBLIC; REVOKE ALL ON DATABASE template1 FROM PUBLIC;", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> args, OrchestratorContext context, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            context.Logs.Write("postgres", await stdout + await stderr);
            throw new InvalidOperationException($"'{file} {args[0]}' failed with exit code {process.ExitCode}: {(await stderr).Trim()}");
        }
    }
}

/// <summary>
/// A database on the cluster with its own login role (random scram password), owning the database and the
/// context's schema. PUBLIC may not connect, so the role of one service cannot reach another's database.
/// </summary>
public sealed class PostgresDatabaseResource(string name, PostgresServerResource server, string role, string schema)
    : Resource(name), IResourceWithConnectionString
{
    private string _password = string.Empty;

    public PostgresServerResource Server { get; } = server;

    public string Role { get; } = role;

    public string Schema { get; } = schema;

    public override string DisplayUrl => $"{Server.DisplayUrl}/{Name}";

    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Server.Port,
        Username = Role,
        Password = _password,
        Database = Name,
    }.ConnectionString;

    internal override void Allocate(OrchestratorContext context) => _password = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    internal override async Task StartAsync(OrchestratorContext context, CancellationToken cancellationToken)
    {
        // Identifiers are from the app model (code), the password is hex: nothing here comes from a user.
        // CREATE DATABASE cannot share a batch with other statements, so each runs on its own.
        await ExecuteAsync(Server.AdminConnectionString(), cancellationToken,
            $"CREATE ROLE \"{Role}\" LOGIN PASSWORD '{_password}' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION",
            $"CREATE DATABASE \"{Name}\" OWNER \"{Role}\"",
            $"REVOKE ALL ON DATABASE \"{Name}\" FROM PUBLIC",
            $"GRANT CONNECT, TEMPORARY ON DATABASE \"{Name}\" TO \"{Role}\"",
            $"ALTER ROLE \"{Role}\" IN DATABASE \"{Name}\" SET search_path = \"{Schema}\"");
        await ExecuteAsync(Server.AdminConnectionString(Name), cancellationToken,
            // In PostgreSQL 15 the public schema belongs to the database owner; take it back so the role's only schema is its own.
            "ALTER SCHEMA public OWNER TO postgres",
            "REVOKE ALL ON SCHEMA public FROM PUBLIC",
            $"CREATE SCHEMA \"{Schema}\" AUTHORIZATION \"{Role}\"");
    }

    private static async Task ExecuteAsync(string connectionString, CancellationToken cancellationToken, params string[] statements)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        foreach (var statement in statements)
        {
            await using var command = new NpgsqlCommand(statement, connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    internal override async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false;Timeout=5");
            await connection.OpenAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }

    internal override Task StopAsync() => Task.CompletedTask;
}
