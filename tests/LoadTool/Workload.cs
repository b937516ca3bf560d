using System.Text;
using System.Text.Json;

namespace Library.LoadTool;

/// <summary>One kind of request (a mix entry, or the single --path request), prepared once before the run.</summary>
internal sealed class RequestTemplate
{
    private const string DefaultContentType = "application/json";

    private readonly Template _url;
    private readonly Uri? _constantUri;
    private readonly Template? _body;
    private readonly byte[]? _constantBody;
    private readonly string _contentType;
    private readonly HeaderTemplate[] _headers;

    private sealed record HeaderTemplate(string Name, Template Value);

    private RequestTemplate(
        string name,
        double weight,
        string method,
        string path,
        string basePrefix,
        string? body,
        string? contentType,
        IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        Options.ValidatePath(path);
        Name = name;
        Weight = weight;
        MethodName = method;
        HttpMethod = HttpMethod.Parse(method);
        Path = path;

        // The template covers the whole URL. Its literal prefix is the base URL and the path begins with a literal
        // '/', so no placeholder value can change scheme, host or port: requests only ever go to --base-url.
        _url = Template.Parse(basePrefix + path);
        string probe = _url.Constant ?? basePrefix + path.Replace('{', 'x').Replace('}', 'x');
        if (!Uri.TryCreate(probe, UriKind.Absolute, out var probeUri))
        {
            throw new UsageException($"'{basePrefix + path}' is not a valid URL");
        }

        _constantUri = _url.Constant is null ? null : probeUri;

        var pools = _url.RequiredPools;
        string? ct = contentType;
        var headerTemplates = new List<HeaderTemplate>();
        foreach (var (headerName, headerValue) in headers)
        {
            if (string.Equals(headerName, "Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                ct = headerValue;
                continue;
            }

            var t = Template.Parse(headerValue);
            pools |= t.RequiredPools;
            headerTemplates.Add(new HeaderTemplate(headerName, t));
        }

        _headers = [.. headerTemplates];
        _contentType = ct ?? DefaultContentType;
        if (body is not null)
        {
            _body = Template.Parse(body);
            pools |= _body.RequiredPools;
            if (_body.Constant is not null)
            {
                _constantBody = Encoding.UTF8.GetBytes(_body.Constant);
            }
        }

        RequiredPools = pools;
    }

    public string Name { get; }

    public double Weight { get; }

    public string MethodName { get; }

    public HttpMethod HttpMethod { get; }

    public string Path { get; }

    public IdPoolKind RequiredPools { get; }

    /// <summary>Null while the entry is enabled; otherwise why it was left out of the run.</summary>
    public string? DisabledReason { get; set; }

    public bool Enabled => DisabledReason is null;

    public static RequestTemplate Create(
        string name,
        double weight,
        string method,
        string path,
        string basePrefix,
        string? body,
        string? contentType,
        IReadOnlyList<KeyValuePair<string, string>> headers)
        => new(name, weight, method, path, basePrefix, body, contentType, headers);

    /// <summary>
    /// Builds a request. HttpRequestMessage cannot be reused, but the URI, body bytes and header strings are cached
    /// whenever they contain no placeholders.
    /// </summary>
    public HttpRequestMessage CreateRequest(IdPools pools)
    {
        var uri = _constantUri ?? new Uri(_url.Expand(pools), UriKind.Absolute);
        var request = new HttpRequestMessage(HttpMethod, uri);
        if (_body is not null)
        {
            var content = new ByteArrayContent(_constantBody ?? Encoding.UTF8.GetBytes(_body.Expand(pools)));
            content.Headers.TryAddWithoutValidation("Content-Type", _contentType);
            request.Content = content;
        }

        var headers = _headers;
        for (int i = 0; i < headers.Length; i++)
        {
            request.Headers.TryAddWithoutValidation(headers[i].Name, headers[i].Value.Expand(pools));
        }

        return request;
    }
}

/// <summary>The requests of a run and the weighted choice between the enabled ones.</summary>
internal sealed class RequestPlan
{
    private double[] _cumulative = [];
    private int[] _cumulativeIndex = [];
    private double _total;

    private RequestPlan(string description, RequestTemplate[] entries)
    {
        Description = description;
        Entries = entries;
    }

    public string Description { get; }

    /// <summary>All entries, enabled or not; statistics are indexed by position in this array.</summary>
    public RequestTemplate[] Entries { get; }

    public double EnabledWeight => _total;

    public int EnabledCount => _cumulative.Length;

    public IdPoolKind RequiredPools
    {
        get
        {
            var pools = IdPoolKind.None;
            foreach (var e in Entries)
            {
                pools |= e.RequiredPools;
            }

            return pools;
        }
    }

    public static RequestPlan Load(Options options)
    {
        string prefix = options.BasePrefix;
        if (options.Path is not null)
        {
            var single = RequestTemplate.Create(
                $"{options.Method} {options.Path}", 1, options.Method, options.Path, prefix, options.Body, null, []);
            return new RequestPlan($"{options.Method} {options.Path}", [single]);
        }

        string file = options.MixFile!;
        if (!File.Exists(file))
        {
            throw new UsageException($"--mix file '{file}' not found");
        }

        try
        {
            using var doc = JsonDocument.Parse(
                File.ReadAllBytes(file),
                new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            var root = doc.RootElement;
            JsonElement list = root.ValueKind == JsonValueKind.Array
                ? root
                : root.ValueKind == JsonValueKind.Object && root.TryGetProperty("entries", out var e) && e.ValueKind == JsonValueKind.Array
                    ? e
                    : throw new UsageException($"--mix file '{file}' must be a JSON array of entries or an object with an \"entries\" array");

            var entries = new List<RequestTemplate>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in list.EnumerateArray())
            {
                var entry = ParseEntry(item, prefix, entries.Count);
                if (!names.Add(entry.Name))
                {
                    throw new UsageException($"mix entry name '{entry.Name}' is used twice");
                }

                entries.Add(entry);
            }

            if (entries.Count == 0)
            {
                throw new UsageException($"--mix file '{file}' has no entries");
            }

            return new RequestPlan($"mix {file} ({entries.Count} entries)", [.. entries]);
        }
        catch (JsonException ex)
        {
            throw new UsageException($"--mix file '{file}' is not valid JSON: {ex.Message}", ex);
        }
        catch (UsageException ex)
        {
            throw new UsageException($"--mix file '{file}': {ex.Message}", ex);
        }
    }

    private static RequestTemplate ParseEntry(JsonElement item, string prefix, int index)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new UsageException($"entry #{index + 1} is not an object");
        }

        string? path = GetString(item, "path") ?? throw new UsageException($"entry #{index + 1} has no \"path\"");
        string method = (GetString(item, "method") ?? "GET").Trim().ToUpperInvariant();
        if (method.Length == 0 || !method.All(char.IsAsciiLetter))
        {
            throw new UsageException($"entry #{index + 1} has an invalid method '{method}'");
        }

        string name = GetString(item, "name") ?? $"{method} {path}";
        double weight = 1;
        if (item.TryGetProperty("weight", out var w))
        {
            if (w.ValueKind != JsonValueKind.Number || !w.TryGetDouble(out weight) || !double.IsFinite(weight) || weight < 0)
            {
                throw new UsageException($"entry '{name}' has an invalid weight (must be a number >= 0)");
            }
        }

        string? body = null;
        if (item.TryGetProperty("body", out var b))
        {
            body = b.ValueKind switch
            {
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                JsonValueKind.String => b.GetString(),
                _ => CompactJson(b),
            };
        }

        var headers = new List<KeyValuePair<string, string>>();
        if (item.TryGetProperty("headers", out var h) && h.ValueKind != JsonValueKind.Null)
        {
            if (h.ValueKind != JsonValueKind.Object)
            {
                throw new UsageException($"entry '{name}': \"headers\" must be an object of name: value strings");
            }

            foreach (var p in h.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                {
                    throw new UsageException($"entry '{name}': header '{p.Name}' must be a string");
                }

                headers.Add(new KeyValuePair<string, string>(p.Name, p.Value.GetString()!));
            }
        }

        return RequestTemplate.Create(name, weight, method, path, prefix, body, GetString(item, "contentType"), headers);
    }

    private static string? GetString(JsonElement item, string property)
    {
        if (!item.TryGetProperty(property, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : throw new UsageException($"\"{property}\" must be a string");
    }

    private static string CompactJson(JsonElement element)
    {
        using var ms = new MemoryStream();
        using (var writer = new Utf8JsonWriter(ms))
        {
            element.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length);
    }

    /// <summary>Rebuilds the weighted-choice table from the enabled entries with a weight above zero.</summary>
    public void Rebuild()
    {
        var cumulative = new List<double>();
        var index = new List<int>();
        double total = 0;
        for (int i = 0; i < Entries.Length; i++)
        {
            var e = Entries[i];
            if (!e.Enabled || e.Weight <= 0)
            {
                continue;
            }

            total += e.Weight;
            cumulative.Add(total);
            index.Add(i);
        }

        _cumulative = [.. cumulative];
        _cumulativeIndex = [.. index];
        _total = total;
    }

    /// <summary>Share of traffic an entry gets after disabled entries have been removed (0..1).</summary>
    public double ShareOf(RequestTemplate entry) => entry.Enabled && _total > 0 ? entry.Weight / _total : 0;

    /// <summary>Weighted random choice; returns an index into <see cref="Entries"/>. Hot path: no allocation.</summary>
    public int Pick()
    {
        var cumulative = _cumulative;
        if (cumulative.Length == 1)
        {
            return _cumulativeIndex[0];
        }

        double r = Random.Shared.NextDouble() * _total;
        for (int i = 0; i < cumulative.Length; i++)
        {
            if (r < cumulative[i])
            {
                return _cumulativeIndex[i];
            }
        }

        return _cumulativeIndex[^1];
    }
}
