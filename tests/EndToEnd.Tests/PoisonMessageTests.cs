using Library.Testing;
using System.Text;
using Library.SharedKernel.Resources;
using RabbitMQ.Client;
using System.Net.Http.Json;

namespace Library.EndToEnd.Tests;

/// <summary>SPEC §6: a message that keeps failing goes to the dead-letter queue after a bounded number of attempts.</summary>
public sealed class PoisonMessageTests(LibrarySystem system)
{
    [Fact]
    public async Task AMessageThatAlwaysFails_IsDeadLetteredAndDoesNotBlockOtherSagas()
    {
        var factory = new ConnectionFactory { Uri = new Uri((await system.App.GetConnectionStringAsync(ResourceNames.EventBus))!) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var messageId = Guid.NewGuid();

        // A well-formed envelope whose data cannot be a BookReserved: Lending's handler fails on every delivery.
        var poison = $$"""{"id":"{{messageId}}","type":"catalog.book-reserved.v1","occurredAt":"2026-11-23T10:00:00.000000Z","correlationId":"{{messageId}}","causationId":null,"data":"not a reservation"}""";
        await channel.BasicPublishAsync("library.events", "catalog.book-reserved.v1", mandatory: false,
            new BasicProperties { MessageId = messageId.ToString(), Type = "catalog.book-reserved.v1", Persistent = true }, Encoding.UTF8.GetBytes(poison));

        var patron = await system.Gateway.RegisterPatronIdAsync();
        var operation = await system.Gateway.BorrowAndWaitAsync(await system.Gateway.AddBookIdAsync(), patron, "borrowed");
        operation["status"]!.GetValue<string>().ShouldBe("borrowed");

        // Other tests may replay the dead-letter queue meanwhile (a poison message comes straight back): look for it by id.
        string? body = null;
        await Poll.UntilAsync(async () => (body = await FindDeadLetterAsync(connection, messageId.ToString())) is not null, TimeSpan.FromSeconds(20), "the poison message in lending.dead-letter");
        body.ShouldBe(poison);

        // An admin sees it waiting, through the Gateway; the service's /health says so too.
        var state = await system.Admin.Client.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/admin/lending/dead-letters");
        state!["queue"]!.GetValue<string>().ShouldBe("lending.dead-letter");
        using var health = new HttpClient { BaseAddress = system.App.GetEndpoint(ResourceNames.LendingApi) };
        await Poll.UntilAsync(
            async () => (await health.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/health"))!["checks"]!["dead-letters"]!.GetValue<string>() == "Degraded",
            TimeSpan.FromSeconds(10),
            "lending's /health to report the dead letter");
    }

    /// <summary>Reads the queue without taking anything (every message read goes back when the channel closes).</summary>
    private static async Task<string?> FindDeadLetterAsync(IConnection connection, string messageId)
    {
        await using var channel = await connection.CreateChannelAsync();
        while (await channel.BasicGetAsync("lending.dead-letter", autoAck: false) is { } dead)
        {
            if (dead.BasicProperties.MessageId == messageId)
            {
                return Encoding.UTF8.GetString(dead.Body.Span);
            }
        }

        return null;
    }
}
