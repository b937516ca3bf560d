using Library.Testing;
using System.Text;
using Library.SharedKernel.Resources;
using RabbitMQ.Client;

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
        var before = await DeadLetterCountAsync(channel);
        var messageId = Guid.NewGuid();

        // A well-formed envelope whose data cannot be a BookReserved: Lending's handler fails on every delivery.
        var poison = $$"""{"id":"{{messageId}}","type":"catalog.book-reserved.v1","occurredAt":"2026-11-23T10:00:00.000000Z","correlationId":"{{messageId}}","causationId":null,"data":"not a reservation"}""";
        await channel.BasicPublishAsync("library.events", "catalog.book-reserved.v1", mandatory: false,
            new BasicProperties { MessageId = messageId.ToString(), Type = "catalog.book-reserved.v1", Persistent = true }, Encoding.UTF8.GetBytes(poison));

        var patron = await system.Gateway.RegisterPatronIdAsync();
        var operation = await system.Gateway.BorrowAndWaitAsync(await system.Gateway.AddBookIdAsync(), patron, "borrowed");
        operation["status"]!.GetValue<string>().ShouldBe("borrowed");

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await DeadLetterCountAsync(channel) <= before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        (await DeadLetterCountAsync(channel)).ShouldBe(before + 1);
        var dead = await channel.BasicGetAsync("lending.dead-letter", autoAck: false);
        while (dead is not null && dead.BasicProperties.MessageId != messageId.ToString())
        {
            dead = await channel.BasicGetAsync("lending.dead-letter", autoAck: false);
        }

        dead.ShouldNotBeNull();
        Encoding.UTF8.GetString(dead.Body.Span).ShouldBe(poison);
    }

    private static async Task<uint> DeadLetterCountAsync(IChannel channel)
        => (await channel.QueueDeclarePassiveAsync("lending.dead-letter")).MessageCount;
}
