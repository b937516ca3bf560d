using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Library.Hosting;

/// <summary>
/// A PostgreSQL 15 server from the Debian package, run as the <c>postgres</c> user (it refuses root). Every
/// connection authenticates with scram-sha-256 (never trust), the superuser's password is an Aspire secret
/// parameter, and each database added to it gets its own login role. The connection string is the superuser's.
/// </summary>
public sealed class PostgresServerResource(string name, ParameterResource password, string dataDirectory)
    : ExecutableResource(name, "bash", dataDirectory), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";
    internal const string Superuser = "postgres";
    private readonly List<PostgresDatabaseResource> _databases = [];

    public ParameterResource PasswordParameter { get; } = password;

    /// <summary>The cluster's folder: <c>data/</c> (PGDATA) and the Unix socket.</summary>
    public string DataDirectory { get; } = dataDirectory;

    public EndpointReference PrimaryEndpoint => new(this, PrimaryEndpointName);

    public IReadOnlyList<PostgresDatabaseResource> Databases => _databases;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={Superuser};Password={PasswordParameter}");

    internal void AddDatabase(PostgresDatabaseResource database) => _databases.Add(database);
}

/// <summary>
/// A database on a <see cref="PostgresServerResource"/> with its own login role (a secret parameter for its
/// password) that owns the database and the context's schema. PUBLIC may not connect, so one context's role
/// cannot reach another's database, nor the maintenance databases.
/// </summary>
public sealed class PostgresDatabaseResource(string name, string role, string schema, ParameterResource password, PostgresServerResource parent)
    : Resource(name), IResourceWithParent<PostgresServerResource>, IResourceWithConnectionString
{
    public PostgresServerResource Parent { get; } = parent;

    public string Role { get; } = role;

    public string Schema { get; } = schema;

    public ParameterResource PasswordParameter { get; } = password;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={Parent.PrimaryEndpoint.Property(EndpointProperty.Host)};Port={Parent.PrimaryEndpoint.Property(EndpointProperty.Port)};Username={Role};Password={PasswordParameter};Database={Name}");
}

public static partial class PostgresServerBuilderExtensions
{
    // SIGTERM is PostgreSQL's "smart" shutdown, which waits for every pooled client connection to close; the
    // supervising shell turns the orchestrator's SIGTERM into SIGINT ("fast": roll back, disconnect, checkpoint).
    // PostgreSQL logs everything to stderr, which the dashboard shows as errors; its lines carry their own level,
    // so they go to stdout.
    private static readonly string Wrapper = SupervisingShell.Script("INT", before: "exec 2>&1");

    /// <summary>
    /// Adds a PostgreSQL server. Settings: <c>Postgres:BinDirectory</c> (default the Debian package's),
    /// <c>Servers:Durable</c> (false turns fsync off: for test runs, whose data is thrown away),
    /// <c>Postgres:Settings</c> (more <c>name=value</c> server settings, separated by <c>;</c>, after the ones here:
    /// for profiling, e.g. <c>shared_preload_libraries=pg_stat_statements</c>).
    /// </summary>
    public static IResourceBuilder<PostgresServerResource> AddPostgresServer(this IDistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var binDirectory = builder.Configuration["Postgres:BinDirectory"] is { Length: > 0 } bin ? bin : "/usr/lib/postgresql/15/bin";
        var postgres = ServerBinary.Require(Path.Combine(binDirectory, "postgres"), "postgresql");
        var initdb = ServerBinary.Require(Path.Combine(binDirectory, "initdb"), "postgresql");
        ServerBinary.Require("setpriv", "util-linux");
        var durable = !string.Equals(builder.Configuration["Servers:Durable"], "false", StringComparison.OrdinalIgnoreCase);
        var extraSettings = (builder.Configuration["Postgres:Settings"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false, minLower: 1, minUpper: 1, minNumeric: 1);
        builder.AddResource(password);
        var server = new PostgresServerResource(name, password, ServerFolders.For(builder, name));

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server, async (@event, cancellationToken) =>
        {
            await OutliveOldServerAsync(server, postgres, @event.Services, cancellationToken);
            await InitializeClusterAsync(server, initdb, @event.Services, cancellationToken);
        });
        builder.Eventing.Subscribe<ResourceReadyEvent>(server, (@event, cancellationToken) => CreateDatabasesAsync(server, @event.Services, cancellationToken));

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, _ => new PostgresHealthCheck(server.ConnectionStringExpression, "postgres"), HealthStatus.Unhealthy, tags: null));

        return builder.AddResource(server)
            .WithServerEndpoint(PostgresServerResource.PrimaryEndpointName)
            .WithArgs(context =>
            {
                context.Args.Add("-c");
                context.Args.Add(Wrapper);
                context.Args.Add("postgres-wrapper");
                foreach (var arg in new[] { "setpriv", "--pdeathsig", "KILL", "--reuid=postgres", "--regid=postgres", "--init-groups", postgres, "-D", Path.Combine(server.DataDirectory, "data"), "-k", server.DataDirectory, "-p" })
                {
                    context.Args.Add(arg);
                }

                context.Args.Add(server.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                string[] settings =
                [
                    "listen_addresses=127.0.0.1", "max_connections=300", "password_encryption=scram-sha-256", "synchronous_commit=on",
                    // Logical replication for change data capture (SPEC §6).
                    "wal_level=logical", "max_replication_slots=10", "max_wal_senders=10",
                    .. durable ? Array.Empty<string>() : ["fsync=off", "full_page_writes=off"],
                    .. extraSettings,
                ];
                foreach (var setting in settings)
                {
                    context.Args.Add("-c");
                    context.Args.Add(setting);
                }
            })
            .WithIconName("DatabaseMultiple")
            .WithHealthCheck(healthCheckKey);
    }

    /// <summary>A database owned by its own role (named after the context's schema), holding that schema.</summary>
    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(this IResourceBuilder<PostgresServerResource> server, string name, string schema)
    {
        ArgumentNullException.ThrowIfNull(server);
        var builder = server.ApplicationBuilder;
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false, minLower: 1, minUpper: 1, minNumeric: 1);
        builder.AddResource(password);
        var database = new PostgresDatabaseResource(name, role: schema, schema, password, server.Resource);
        server.Resource.AddDatabase(database);

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, _ => new PostgresHealthCheck(database.ConnectionStringExpression, database: null), HealthStatus.Unhealthy, tags: null));
        return builder.AddResource(database).WithIconName("Database").WithHealthCheck(healthCheckKey);
    }

    /// <summary>
    /// Before a restart: waits until no process of the previous server is left. When the postmaster is killed
    /// (a crash), a backend it forked a moment before lives on until it notices, still attached to the old shared
    /// memory, and a new postmaster refuses to start beside it ("pre-existing shared memory block is still in
    /// use"). Every process of a PostgreSQL server runs the postgres binary in its data directory, which this run
    /// owns: those still there after a few seconds are ended.
    /// </summary>
    private static async Task OutliveOldServerAsync(PostgresServerResource server, string postgres, IServiceProvider services, CancellationToken cancellationToken)
    {
        var data = Path.Combine(server.DataDirectory, "data");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        var binary = new FileInfo(postgres).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(postgres); // /proc/PID/exe names the file itself
        List<int> ServerProcesses() => ProcessesOf(binary, workingIn: data);
        var left = ServerProcesses();
        var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
        if (left.Count > 0)
        {
            LogOldProcesses(logger, left.Count, string.Join(' ', left));
        }

        while (left.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, cancellationToken);
            left = ServerProcesses();
        }

        foreach (var pid in left)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(); // SIGKILL: a backend of a dead postmaster has nothing left to save
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }

        // A killed process is gone at once; the bound only keeps a start from waiting forever on one that is not
        // (PostgreSQL then says why it will not start, in the resource's log).
        var killedBy = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (ServerProcesses().Count > 0 && DateTime.UtcNow < killedBy)
        {
            await Task.Delay(50, cancellationToken);
        }

        await ClearLockOfDeadPostmasterAsync(data, logger, cancellationToken);
    }

    /// <summary>
    /// A killed postmaster stays a zombie until whoever inherited it reaps it; PostgreSQL sees its PID still in use
    /// and refuses to start ("lock file postmaster.pid already exists"). Once no process of the old server works in
    /// the data directory (so nothing is attached to its shared memory), a lock file naming a zombie, after a short
    /// wait for the reaper, is stale: it is removed.
    /// </summary>
    private static async Task ClearLockOfDeadPostmasterAsync(string data, ILogger logger, CancellationToken cancellationToken)
    {
        var lockFile = Path.Combine(data, "postmaster.pid");
        string? first;
        try
        {
            first = File.ReadLines(lockFile).FirstOrDefault();
        }
        catch (IOException)
        {
            return; // no lock file: a clean stop
        }

        if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return;
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        while (IsZombie(pid) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, cancellationToken);
        }

        if (IsZombie(pid))
        {
            LogStaleLock(logger, pid);
            File.Delete(lockFile);
        }
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            // /proc/PID/stat: "pid (comm) state …"; comm may hold spaces and parentheses, the state follows the last ')'.
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Processes of the PostgreSQL binary working in the directory: never anything else that happens to be there (an operator's shell).</summary>
    private static List<int> ProcessesOf(string executable, string workingIn)
    {
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                if (new DirectoryInfo(Path.Combine(entry, "cwd")).LinkTarget == workingIn
                    && new FileInfo(Path.Combine(entry, "exe")).LinkTarget == executable)
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to look at.
            }
        }

        return found;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The previous postmaster (PID {Pid}) is dead but not yet reaped: its lock file is stale and removed")]
    private static partial void LogStaleLock(ILogger logger, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} process(es) of the previous server still in the data directory (PIDs {Pids}): waiting for them before starting")]
    private static partial void LogOldProcesses(ILogger logger, int count, string pids);

    /// <summary>initdb, once per data folder: a restart of the resource keeps its data.</summary>
    private static async Task InitializeClusterAsync(PostgresServerResource server, string initdb, IServiceProvider services, CancellationToken cancellationToken)
    {
        var data = Path.Combine(server.DataDirectory, "data");
        if (File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            return;
        }

        var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
        await RunAsync("chown", ["postgres:postgres", server.DataDirectory], logger, cancellationToken);
        var passwordFile = Path.Combine(server.DataDirectory, "pwfile");
        await File.WriteAllTextAsync(passwordFile, await server.PasswordParameter.GetValueAsync(cancellationToken), cancellationToken);
        try
        {
            await RunAsync("chown", ["postgres:postgres", passwordFile], logger, cancellationToken);
            await RunAsync("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", initdb, "-D", data, "-U", PostgresServerResource.Superuser,
                "--pwfile=" + passwordFile, "-A", "scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "-N"], logger, cancellationToken);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    /// <summary>Each database's role, database and schema, created where they do not exist yet.</summary>
    private static async Task CreateDatabasesAsync(PostgresServerResource server, IServiceProvider services, CancellationToken cancellationToken)
    {
        var admin = new NpgsqlConnectionStringBuilder(await server.ConnectionStringExpression.GetValueAsync(cancellationToken)) { Database = "postgres", Pooling = false, Timeout = 10 };
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);

            // Nobody but the superuser reaches the maintenance databases.
            await ExecuteAsync(connection, cancellationToken, "REVOKE ALL ON DATABASE postgres FROM PUBLIC", "REVOKE ALL ON DATABASE template1 FROM PUBLIC");
            foreach (var database in server.Databases)
            {
                // Identifiers come from the app model (code); the password is generated without quotes. CREATE
                // DATABASE cannot share a batch with other statements, so each runs on its own.
                var password = (await database.PasswordParameter.GetValueAsync(cancellationToken))!.Replace("'", "''", StringComparison.Ordinal);
                var role = Quote(database.Role);
                var name = Quote(database.Name);
                await ExecuteAsync(connection, cancellationToken, await ExistsAsync(connection, "SELECT 1 FROM pg_roles WHERE rolname = @name", database.Role, cancellationToken)
                    ? $"ALTER ROLE {role} LOGIN PASSWORD '{password}'"
                    : $"CREATE ROLE {role} LOGIN PASSWORD '{password}' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION");
                if (!await ExistsAsync(connection, "SELECT 1 FROM pg_database WHERE datname = @name", database.Name, cancellationToken))
                {
                    await ExecuteAsync(connection, cancellationToken,
                        $"CREATE DATABASE {name} OWNER {role}",
                        $"REVOKE ALL ON DATABASE {name} FROM PUBLIC",
                        $"GRANT CONNECT, TEMPORARY ON DATABASE {name} TO {role}",
                        $"ALTER ROLE {role} IN DATABASE {name} SET search_path = {Quote(database.Schema)}");
                }

                await using var inDatabase = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = database.Name }.ConnectionString);
                await inDatabase.OpenAsync(cancellationToken);
                if (!await ExistsAsync(inDatabase, "SELECT 1 FROM pg_namespace WHERE nspname = @name", database.Schema, cancellationToken))
                {
                    // In PostgreSQL 15 the public schema belongs to the database owner; take it back, so the role's only schema is its own.
                    await ExecuteAsync(inDatabase, cancellationToken,
                        "ALTER SCHEMA public OWNER TO postgres",
                        "REVOKE ALL ON SCHEMA public FROM PUBLIC",
                        $"CREATE SCHEMA {Quote(database.Schema)} AUTHORIZATION {role}");
                }

                await notifications.PublishUpdateAsync(database, state => state with
                {
                    State = KnownResourceStates.Running,
                    StartTimeStamp = state.StartTimeStamp ?? DateTime.UtcNow,
                    Properties = [.. state.Properties.Where(p => p.Name is not ("role" or "schema")), new("role", database.Role), new("schema", database.Schema)],
                });
            }
        }
    }

    private static string Quote(string identifier) => $"\"{identifier.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string sql, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("name", name);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, CancellationToken cancellationToken, params string[] statements)
    {
        foreach (var statement in statements)
        {
            await using var command = new NpgsqlCommand(statement, connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> args, ILogger logger, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var output = (await stdout + await stderr).Trim();
        if (process.ExitCode != 0)
        {
            throw new DistributedApplicationException($"'{file} {string.Join(' ', args.Take(1))}' failed with exit code {process.ExitCode.ToString(CultureInfo.InvariantCulture)}: {output}");
        }

        if (output.Length > 0)
        {
            LogOutput(logger, output);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Output}")]
    private static partial void LogOutput(ILogger logger, string output);

    /// <summary>Opens a connection (no pool) and runs SELECT 1: the server, or the database with its own role, is usable.</summary>
    private sealed class PostgresHealthCheck(ReferenceExpression connectionString, string? database) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var csb = new NpgsqlConnectionStringBuilder(await connectionString.GetValueAsync(cancellationToken)) { Pooling = false, Timeout = 3 };
                if (database is not null)
                {
                    csb.Database = database;
                }

                await using var connection = new NpgsqlConnection(csb.ConnectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                return HealthCheckResult.Unhealthy(e.Message);
            }
        }
    }
}
