using System.Text.Json;

namespace Library.LoadTool;

/// <summary>Picks single values out of small JSON responses and messages without building a document.</summary>
internal static class JsonProbe
{
    /// <summary>The string value of a top-level property of a JSON object, or null (also for invalid JSON).</summary>
    public static string? TopLevelString(ReadOnlySpan<byte> json, string name)
    {
        if (json.IsEmpty)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool match = reader.ValueTextEquals(name);
                if (!reader.Read())
                {
                    return null;
                }

                if (match)
                {
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    /// <summary>"/borrow-operations/abc" → "abc"; null for null or empty.</summary>
    public static string? LastSegment(string? location)
    {
        if (string.IsNullOrEmpty(location))
        {
            return null;
        }

        string path = location.TrimEnd('/');
        int slash = path.LastIndexOf('/');
        string segment = slash < 0 ? path : path[(slash + 1)..];
        return segment.Length == 0 ? null : segment;
    }

    /// <summary>Reads <c>data.patronId</c> from an integration-event envelope, or null.</summary>
    public static string? PatronIdOf(ReadOnlySpan<byte> envelope)
    {
        try
        {
            var reader = new Utf8JsonReader(envelope);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isData = reader.ValueTextEquals("data");
                if (!reader.Read())
                {
                    return null;
                }

                if (!isData)
                {
                    reader.Skip();
                    continue;
                }

                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    return null;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    bool isId = reader.ValueTextEquals("patronId");
                    if (!reader.Read())
                    {
                        return null;
                    }

                    if (isId)
                    {
                        return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    }

                    reader.Skip();
                }

                return null;
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }
}
