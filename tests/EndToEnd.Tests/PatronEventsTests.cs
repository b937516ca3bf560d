using Library.Testing;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Library.SharedKernel.Resources;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Library.EndToEnd.Tests;

/// <summary>Patron changes leave through the outbox to the library.events exchange, in order, in the envelope of SPEC §6.</summary>
public sealed class PatronEventsTests(LibrarySystem system)
{
    [Fact]
    public async Task PatronChanges_ArePublishedInOrderWithTheVersionedEnvelope()
    {
        var factory = new ConnectionFactory { Uri = new Uri((await system.App.GetConnectionStringAsync(ResourceNames.EventBus))!) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync("library.events", ExchangeType.Topic, durable: true);
        var queue = (await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(queue, "library.events", "patron.#");
        var received = new ConcurrentQueue<(string RoutingKey, string? MessageId, JsonObject Body)>();
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            received.Enqueue((delivery.RoutingKey, delivery.BasicProperties.MessageId, JsonNode.Parse(delivery.Body.Span)!.AsObject()));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue, autoAck: true, consumer);

        var id = (await system.Gateway.RegisterPatronAsync())["id"]!.GetValue<string>();
        using (await system.Gateway.PostAsync($"/patrons/{id}/suspend", Json.Body("""{"reason":"Testing events"}""")))
        {
        }

        using (await system.Gateway.PostAsync($"/patrons/{id}/upgrade-tier", Json.Body("""{"membershipTier":"researcher"}""")))
        {
        }

        var deadline = DateTime.UtcNow.AddSeconds(15);
        List<(string RoutingKey, string? MessageId, JsonObject Body)> mine;
        do
        {
            mine = received.Where(m => m.Body["data"]?["patronId"]?.GetValue<string>() == id).ToList();
            if (mine.Count >= 3)
            {
                break;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        mine.Select(m => m.RoutingKey).ShouldBe(["patron.patron-registered.v1", "patron.patron-suspended.v1", "patron.patron-tier-upgraded.v1"]);
        mine.Select(m => m.Body["data"]!["version"]!.GetValue<int>()).ShouldBe([1, 2, 3]);
        var registered = mine[0].Body;
        registered.Select(p => p.Key).Order().ShouldBe(["causationId", "correlationId", "data", "id", "occurredAt", "type"]);
        registered["type"]!.GetValue<string>().ShouldBe("patron.patron-registered.v1");
        registered["id"]!.GetValue<string>().ShouldBe(mine[0].MessageId);
        registered["data"]!["membershipTier"]!.GetValue<string>().ShouldBe("regular");
        mine[2].Body["data"]!["suspended"]!.GetValue<bool>().ShouldBeTrue();
        JsonSerializer.Serialize(registered["occurredAt"]).ShouldMatch(@"^""\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z""$");
    }
}
