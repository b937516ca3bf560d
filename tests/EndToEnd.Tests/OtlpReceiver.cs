using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Library.EndToEnd.Tests;

/// <summary>
/// A real OTLP/HTTP receiver (protobuf, as the services' OpenTelemetry exporter sends it) that keeps every span
/// it is sent: what the Aspire dashboard receives, held where a test can read it. Logs and metrics are accepted
/// and dropped. The protobuf messages are read with a small wire-format decoder over the fields the tests need
/// (opentelemetry/proto/trace/v1/trace.proto).
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private WebApplication? _app;

    public Uri Endpoint { get; private set; } = null!;

    public IReadOnlyCollection<ReceivedSpan> Spans => _spans;

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/v1/traces", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            foreach (var span in Decode(body.ToArray()))
            {
                _spans.Enqueue(span);
            }

            return Results.Bytes([], "application/x-protobuf");
        });
        _app.MapPost("/v1/logs", () => Results.Bytes([], "application/x-protobuf"));
        _app.MapPost("/v1/metrics", () => Results.Bytes([], "application/x-protobuf"));
        await _app.StartAsync();
        Endpoint = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>ExportTraceServiceRequest → its spans, each with its resource's service.name.</summary>
    internal static List<ReceivedSpan> Decode(ReadOnlySpan<byte> request)
    {
        var spans = new List<ReceivedSpan>();
        foreach (var (field, resourceSpans) in Fields(request))
        {
            if (field != 1)
            {
                continue;
            }

            var service = string.Empty;
            var scopes = new List<byte[]>();
            foreach (var (f, value) in Fields(resourceSpans))
            {
                if (f == 1)
                {
                    service = Attributes(value).GetValueOrDefault("service.name", string.Empty);
                }
                else if (f == 2)
                {
                    scopes.Add(value);
                }
            }

            foreach (var scopeSpans in scopes)
            {
                var scope = string.Empty;
                foreach (var (f, value) in Fields(scopeSpans))
                {
                    if (f == 1)
                    {
                        scope = Fields(value).Where(x => x.Field == 1).Select(x => System.Text.Encoding.UTF8.GetString(x.Value)).FirstOrDefault() ?? string.Empty;
                    }
                    else if (f == 2)
                    {
                        spans.Add(Span(value, service, scope));
                    }
                }
            }
        }

        return spans;
    }

    private static ReceivedSpan Span(byte[] span, string service, string scope)
    {
        string traceId = string.Empty, spanId = string.Empty, parent = string.Empty, name = string.Empty;
        var kind = 0;
        var attributes = new Dictionary<string, string>();
        var links = new List<string>();
        foreach (var (field, value) in Fields(span))
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(value); break;
                case 2: spanId = Convert.ToHexStringLower(value); break;
                case 4: parent = Convert.ToHexStringLower(value); break;
                case 5: name = System.Text.Encoding.UTF8.GetString(value); break;
                case 6: kind = (int)ReadVarint(value, 0).Value; break;
                case 9: foreach (var (k, v) in Attribute(value)) { attributes[k] = v; } break;
                case 13: links.Add(Convert.ToHexStringLower(Fields(value).First(x => x.Field == 2).Value)); break;
            }
        }

        return new ReceivedSpan(service, scope, traceId, spanId, parent, name, kind, attributes, links);
    }

    private static Dictionary<string, string> Attributes(byte[] resource)
    {
        var attributes = new Dictionary<string, string>();
        foreach (var (field, value) in Fields(resource))
        {
            if (field == 1)
            {
                foreach (var (k, v) in Attribute(value))
                {
                    attributes[k] = v;
                }
            }
        }

        return attributes;
    }

    /// <summary>A KeyValue whose AnyValue is a string, a bool or an int (others are skipped).</summary>
    private static IEnumerable<(string Key, string Value)> Attribute(byte[] keyValue)
    {
        string? key = null, text = null;
        foreach (var (field, value) in Fields(keyValue))
        {
            if (field == 1)
            {
                key = System.Text.Encoding.UTF8.GetString(value);
            }
            else if (field == 2)
            {
                foreach (var (f, v) in Fields(value))
                {
                    text = f switch
                    {
                        1 => System.Text.Encoding.UTF8.GetString(v),
                        2 => (ReadVarint(v, 0).Value != 0).ToString(),
                        3 => ReadVarint(v, 0).Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        _ => text,
                    };
                }
            }
        }

        if (key is not null && text is not null)
        {
            yield return (key, text);
        }
    }

    /// <summary>The fields of a message: length-delimited ones as their bytes, varints as their encoded bytes.</summary>
    private static List<(int Field, byte[] Value)> Fields(ReadOnlySpan<byte> message)
    {
        var fields = new List<(int, byte[])>();
        var i = 0;
        while (i < message.Length)
        {
            var (tag, next) = ReadVarint(message, i);
            i = next;
            var field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    var start = i;
                    i = ReadVarint(message, i).Next;
                    fields.Add((field, message[start..i].ToArray()));
                    break;
                case 1:
                    fields.Add((field, message.Slice(i, 8).ToArray()));
                    i += 8;
                    break;
                case 2:
                    var (length, after) = ReadVarint(message, i);
                    fields.Add((field, message.Slice(after, (int)length).ToArray()));
                    i = after + (int)length;
                    break;
                case 5:
                    fields.Add((field, message.Slice(i, 4).ToArray()));
                    i += 4;
                    break;
                default:
                    throw new FormatException($"Unsupported wire type {tag & 7}.");
            }
        }

        return fields;
    }

    private static (ulong Value, int Next) ReadVarint(ReadOnlySpan<byte> data, int i)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[i++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return (value, i);
            }
        }
    }
}

/// <summary>One span as the receiver got it. <see cref="Kind"/>: 1 internal, 2 server, 3 client, 4 producer, 5 consumer.</summary>
public sealed record ReceivedSpan(string Service, string Scope, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<string> Links);
