using System.Text.Json;

namespace Library.SharedKernel.Messaging;

/// <summary>A fact one context publishes for others. Contracts live in SharedKernel/Contracts/{Context}.</summary>
public interface IIntegrationEvent;

/// <summary>
/// The message body on the wire (SPEC §6): <c>{id, type, occurredAt, correlationId, causationId, data}</c>.
/// <c>type</c> is also the routing key, e.g. <c>patron.patron-registered.v1</c>.
/// </summary>
public sealed record IntegrationEventEnvelope(
    Guid Id,
    string Type,
    DateTimeOffset OccurredAt,
    Guid CorrelationId,
    Guid? CausationId,
    JsonElement Data);

/// <summary>
/// The explicit map between wire type names and contract types: no assembly scanning, no type names taken from
/// messages. A version is part of the name, so v2 of an event is a new entry beside v1.
/// </summary>
public sealed class IntegrationEventRegistry
{
    private readonly Dictionary<string, Type> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, string> _byType = [];

    public IntegrationEventRegistry Register<TEvent>(string typeName)
        where TEvent : IIntegrationEvent
    {
        _byName.Add(typeName, typeof(TEvent));
        _byType.Add(typeof(TEvent), typeName);
        return this;
    }

    public string NameOf(Type eventType)
        => _byType.TryGetValue(eventType, out var name) ? name : throw new InvalidOperationException($"{eventType.Name} is not a registered integration event.");

    public string NameOf<TEvent>()
        where TEvent : IIntegrationEvent
        => NameOf(typeof(TEvent));

    public Type? Resolve(string typeName) => _byName.GetValueOrDefault(typeName);
}

/// <summary>Correlation of the work in progress: set while handling a message, so what it causes carries it on.</summary>
public static class MessageContext
{
    private static readonly AsyncLocal<(Guid CorrelationId, Guid? CausationId)?> s_current = new();

    public static (Guid CorrelationId, Guid? CausationId)? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }
}
