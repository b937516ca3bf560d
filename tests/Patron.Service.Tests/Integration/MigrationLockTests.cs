using Library.Patron.Infrastructure.Persistence;
using Library.SharedKernel.Persistence;
using Npgsql;

namespace Library.Patron.Tests.Integration;

/// <summary>
/// The advisory lock that makes replicas take turns migrating is gone once a service has started. Held by an idle
/// pooled session, it made the next factory of this assembly wait out Npgsql's command timeout (three tests failed
/// after 60 s in CI).
/// </summary>
public sealed class MigrationLockTests(PatronServers servers)
{
    [Fact]
    public async Task OnceTheServiceHasStarted_NoSessionHoldsTheMigrationLock()
    {
        await using var factory = new PatronApiFactory(servers);
        using var client = factory.CreateClient();

        var key = MigrationExtensions.MigrationLockKey<PatronDbContext>();
        await using var probe = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(servers.ConnectionStrings[Library.SharedKernel.Resources.ResourceNames.PatronDb]) { Pooling = false }.ConnectionString);
        await probe.OpenAsync(TestContext.Current.CancellationToken);

        // Other tests of this assembly start services too; each holds the lock only while it migrates.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        bool taken;
        do
        {
            await using var take = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", probe);
            take.Parameters.AddWithValue("key", key);
            taken = (bool)(await take.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
            if (!taken)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }
        while (!taken && DateTime.UtcNow < deadline);

        taken.ShouldBeTrue("a started service leaves no session holding the lock its migration took");
    }
}
