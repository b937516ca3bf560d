using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Library.SharedKernel.Http;

namespace Library.SharedKernel.Pagination;

/// <summary>One page of a keyset-paginated list (SPEC §4).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>
/// A validated page request. The cursor is opaque to clients: the last id of the previous page plus a
/// fingerprint of the query it came from, so a cursor replayed against other filters is refused (400).
/// </summary>
public sealed record PageRequest(int Limit, Guid? After, string QueryFingerprint)
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    /// <summary>Validates limit and cursor; the fingerprint names the filters the cursor belongs to.</summary>
    public static PageRequest Create(int? limit, string? cursor, string queryFingerprint, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var effectiveLimit = limit ?? DefaultLimit;
        if (effectiveLimit is < 1 or > MaxLimit)
        {
            errors.Add("limit", $"limit must be between 1 and {MaxLimit}.");
        }

        Guid? after = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (KeysetCursor.TryDecode(cursor, queryFingerprint, out var id))
            {
                after = id;
            }
            else
            {
                errors.Add("cursor", "cursor is not valid for this query.");
            }
        }

        return new PageRequest(effectiveLimit, after, queryFingerprint);
    }

    /// <summary>
    /// Turns the rows fetched with <c>Limit + 1</c> into a page: the extra row only proves there is a next page.
    /// </summary>
    public Page<TOut> ToPage<TIn, TOut>(IReadOnlyList<TIn> rows, Func<TIn, Guid> keyOf, Func<TIn, TOut> map)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(keyOf);
        ArgumentNullException.ThrowIfNull(map);
        var count = Math.Min(rows.Count, Limit);
        var items = new TOut[count];
        for (var i = 0; i < count; i++)
        {
            items[i] = map(rows[i]);
        }

        var next = rows.Count > Limit ? KeysetCursor.Encode(keyOf(rows[count - 1]), QueryFingerprint) : null;
        return new Page<TOut>(items, next);
    }
}

public static class KeysetCursor
{
    private const int FingerprintLength = 8;
    private const int Length = 16 + FingerprintLength;

    /// <summary>A short stable digest of the filters; pass every filter that shapes the result.</summary>
    public static string Fingerprint(params string?[] parts)
    {
        var joined = string.Join('\u001f', parts.Select(p => p ?? "\u0000"));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(joined)).AsSpan(0, FingerprintLength));
    }

    public static string Encode(Guid lastId, string queryFingerprint)
    {
        Span<byte> bytes = stackalloc byte[Length];
        lastId.TryWriteBytes(bytes[..16], bigEndian: true, out _);
        Convert.FromHexString(queryFingerprint).CopyTo(bytes[16..]);
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryDecode(string cursor, string queryFingerprint, out Guid lastId)
    {
        lastId = default;
        if (cursor.Length > 64)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[48];
        if (Base64Url.DecodeFromChars(cursor, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Length)
        {
            return false;
        }

        if (!Convert.ToHexString(bytes.Slice(16, FingerprintLength)).Equals(queryFingerprint, StringComparison.Ordinal))
        {
            return false;
        }

        lastId = new Guid(bytes[..16], bigEndian: true);
        return true;
    }
}
