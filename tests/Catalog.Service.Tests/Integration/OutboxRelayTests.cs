using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Library.Catalog.Infrastructure.Persistence;
using Library.SharedKernel.Messaging;
using Library.SharedKernel.Resources;
using Library.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Library.Catalog.Tests.Integration;

/// <summary>
/// Issue 11 item 7, against the real broker and PostgreSQL: a row the broker keeps refusing is retried on its own
/// schedule and then parked, while every other row goes out at once (no relay-wide backoff) and the parked row's
/// aggregate proceeds; a burst of commit notifications wakes the relay once, not once per commit.
/// </summary>
[Collection(CatalogRelays.Name)]
public sealed class OutboxRelayTests(CatalogServers servers)
{
    private const string Refused = "test.refused.v1";
    private const string Accepted = "test.accepted.v1";

    [Fact]
    public async Task ARowTheBrokerKeepsRefusing_IsParkedAfterMaxAttempts_WhileOtherRowsAndThenItsAggregateGoOn()
    {
        await using var factory = Start(("Failpoints:RefusePublishOf", Refused), ("Outbox:MaxAttempts", "3"));
        await using var received = await Received.StartAsync(servers);
        var aggregate = "relay-test-" + Guid.NewGuid().ToString("N");
        var poison = await InsertAsync(aggregate, Refused);
        var successor = await InsertAsync(aggregate, Accepted);
        var other = await InsertAsync("relay-test-" + Guid.NewGuid().ToString("N"), Accepted);
        await NotifyAsync();

        await Poll.UntilAsync(() => received.Ids.Contains(other), TimeSpan.FromSeconds(3), "another aggregate's row to go out at once");
        received.Ids.ShouldNotContain(successor, "the poison row holds its aggregate back while it is being retried");

        // A row written while the poison one fails is not held up by a relay-wide backoff either.
        var during = await InsertAsync("relay-test-" + Guid.NewGuid().ToString("N"), Accepted);
        await NotifyAsync();
        await Poll.UntilAsync(() => received.Ids.Contains(during), TimeSpan.FromSeconds(3), "a new row to go out while the poison one is retried");

        // Attempts 1, 2 (after 1 s), 3 (after 2 s more): parked, then the successor goes.
        await Poll.UntilAsync(() => received.Ids.Contains(successor), TimeSpan.FromSeconds(15), "the aggregate's next row once the poison one is parked");
        var row = await RowAsync(poison);
        row.ParkedAt.ShouldNotBeNull();
        row.Attempts.ShouldBe(3);
        row.LastError.ShouldNotBeNull().ShouldContain("RefusePublishOf");
        received.Ids.ShouldNotContain(poison);

        var health = await factory.CreateClient().GetFromJsonAsync<JsonObject>("/health");
        health!["checks"]!["outbox"]!.GetValue<string>().ShouldBe("Degraded");
        await ExecuteAsync($"DELETE FROM catalog.outbox_messages WHERE id = '{poison}'"); // leave no parked row to other tests
    }

    [Fact]
    public async Task AnInsertIntoTheOutbox_NotifiesTheRelaysChannel_OncePerTransaction_WhenItCommits()
    {
        await using var listener = new NpgsqlConnection(servers.CatalogDb);
        await listener.OpenAsync();
        var heard = 0;
        listener.Notification += (_, e) =>
        {
            if (e.Channel == "outbox_catalog")
            {
                Interlocked.Increment(ref heard);
            }
        };
        await using (var listen = new NpgsqlCommand("LISTEN outbox_catalog", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await using var writer = new NpgsqlConnection(servers.CatalogDb);
        await writer.OpenAsync();
        await using (var transaction = await writer.BeginTransactionAsync())
        {
            foreach (var _ in Enumerable.Range(0, 3))
            {
                await using var insert = new NpgsqlCommand(
                    "INSERT INTO catalog.outbox_messages (id, aggregate_key, type, envelope, occurred_at, attempts) VALUES (@id, 'notify-test', 'test.ignored.v1', '{}'::jsonb, now(), 1)", writer, transaction);
                insert.Parameters.AddWithValue("id", Guid.CreateVersion7());
                await insert.ExecuteNonQueryAsync();
            }

            await listener.WaitAsync(TimeSpan.FromMilliseconds(300));
            heard.ShouldBe(0, "nothing is announced before the commit");
            await transaction.CommitAsync();
        }

        (await listener.WaitAsync(TimeSpan.FromSeconds(5))).ShouldBeTrue("the commit announces the rows: the relay does not wait for its poll");
        await listener.WaitAsync(TimeSpan.FromMilliseconds(300));
        heard.ShouldBe(1, "three inserts in one transaction are one notification");
        await ExecuteAsync("UPDATE catalog.outbox_messages SET published_at = now() WHERE aggregate_key = 'notify-test'");
    }

    [Fact]
    public async Task APublishThatIsNeverConfirmed_EndsItsRoundAtTheRoundTimeout_ItsRowIsRescheduled_AndTheRoundsOtherRowsGoOut()
    {
        const string stalled = "test.stalled.v1";
        await using var factory = Start(("Failpoints:StallPublishOf", stalled), ("Outbox:RoundTimeout", "00:00:01"));
        await using var received = await Received.StartAsync(servers);
        var hanging = await InsertAsync("relay-test-" + Guid.NewGuid().ToString("N"), stalled);
        var other = await InsertAsync("relay-test-" + Guid.NewGuid().ToString("N"), Accepted);
        await NotifyAsync();

        // Without a bound the round would wait for the confirm forever, holding both rows' locks.
        await Poll.UntilAsync(async () => (await RowAsync(hanging)).LastError is not null, TimeSpan.FromSeconds(10), "the stalled publish to fail its round");
        var row = await RowAsync(hanging);
        row.LastError.ShouldNotBeNull().ShouldContain("Not confirmed within the round's 1 s");
        row.Attempts.ShouldBeInRange(1, 2); // the retry comes 1 s after the first timeout
        row.ParkedAt.ShouldBeNull("a timeout is a failed attempt, retried on the row's own schedule");
        await Poll.UntilAsync(() => received.Ids.Contains(other), TimeSpan.FromSeconds(10), "the round's other row to go out");
        await ExecuteAsync($"DELETE FROM catalog.outbox_messages WHERE id = '{hanging}'"); // leave no failing row to other tests
    }

    [Fact]
    public async Task ABurstOfCommitNotifications_WakesTheRelayOnce_NotOncePerCommit()
    {
        await using var factory = Start();
        var relay = factory.Services.GetRequiredService<OutboxRelay<CatalogDbContext>>();
        await Poll.UntilAsync(() => relay.Rounds > 0, TimeSpan.FromSeconds(10), "the relay to be running");
        var before = relay.Rounds;

        // 200 notifications arriving together, as a burst of concurrent commits delivers them (distinct payloads,
        // so PostgreSQL does not fold them into one).
        await ExecuteAsync("SELECT pg_notify('outbox_catalog', i::text) FROM generate_series(1, 200) AS i");

        // An absence is checked over a window, not polled for: a second in which the burst would cost 200 rounds.
        await Task.Delay(1000);
        (relay.Rounds - before).ShouldBeLessThan(20, "one round covers every commit notified before it started");
    }

    private Running Start(params (string Name, string Value)[] settings)
    {
        var factory = new CatalogApiFactory(servers);
        var configured = factory.WithWebHostBuilder(builder =>
        {
            foreach (var (name, value) in settings)
            {
                builder.UseSetting(name, value);
            }

            // The relay's schedule runs on the real clock here.
            builder.ConfigureServices(services => services.AddSingleton(TimeProvider.System));
        });
        _ = configured.Services; // started: relay running
        return new Running(factory, configured);
    }

    /// <summary>The configured service and the factory it came from (disposing the factory disposes both).</summary>
    private sealed class Running(CatalogApiFactory root, Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<CatalogDbContext> app) : IAsyncDisposable
    {
        public IServiceProvider Services => app.Services;

        public HttpClient CreateClient() => app.CreateClient();

        public ValueTask DisposeAsync() => root.DisposeAsync();
    }

    private async Task<Guid> InsertAsync(string aggregate, string type)
    {
        var id = Guid.CreateVersion7();
        var envelope = $$"""{"id":"{{id}}","type":"{{type}}","occurredAt":"2026-12-01T10:00:00.000000Z","correlationId":"{{id}}","causationId":null,"data":null}""";
        await using var connection = new NpgsqlConnection(servers.CatalogDb);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "INSERT INTO catalog.outbox_messages (id, aggregate_key, type, envelope, occurred_at, attempts) VALUES (@id, @aggregate, @type, @envelope::jsonb, now(), 0)", connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("aggregate", aggregate);
        command.Parameters.AddWithValue("type", type);
        command.Parameters.AddWithValue("envelope", envelope);
        await command.ExecuteNonQueryAsync();
        return id;
    }

    private Task NotifyAsync() => ExecuteAsync("SELECT pg_notify('outbox_catalog', '')");

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(servers.CatalogDb);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<(DateTimeOffset? ParkedAt, int Attempts, string? LastError)> RowAsync(Guid id)
    {
        await using var connection = new NpgsqlConnection(servers.CatalogDb);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT parked_at, attempts, last_error FROM catalog.outbox_messages WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).ShouldBeTrue();
        return (reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2));
    }

    /// <summary>A queue of the test's own, bound to the test event types, recording the message ids it receives.</summary>
    private sealed class Received : IAsyncDisposable
    {
        private readonly IConnection _connection;
        private readonly IChannel _channel;
        private readonly List<Guid> _ids = [];

        private Received(IConnection connection, IChannel channel)
        {
            _connection = connection;
            _channel = channel;
        }

        public IReadOnlyList<Guid> Ids
        {
            get
            {
                lock (_ids)
                {
                    return [.. _ids];
                }
            }
        }

        public static async Task<Received> StartAsync(CatalogServers servers)
        {
            var connection = await new ConnectionFactory { Uri = new Uri(servers.ConnectionStrings[ResourceNames.EventBus]) }.CreateConnectionAsync();
            var channel = await connection.CreateChannelAsync();
            await RabbitMQTopology.DeclareExchangesAsync(channel, CancellationToken.None);
            var queue = (await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true)).QueueName;
            await channel.QueueBindAsync(queue, RabbitMQTopology.Exchange, "test.#");
            var received = new Received(connection, channel);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, delivery) =>
            {
                lock (received._ids)
                {
                    received._ids.Add(Guid.Parse(delivery.BasicProperties.MessageId!));
                }

                return Task.CompletedTask;
            };
            await channel.BasicConsumeAsync(queue, autoAck: true, consumer);
            return received;
        }

        public async ValueTask DisposeAsync()
        {
            await _channel.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }
}

/// <summary>Tests that run Catalog in-process share its outbox and its consumer's queue: they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class CatalogRelays
{
    public const string Name = "catalog relays";
}
