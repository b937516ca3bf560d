namespace Library.SharedKernel.Domain;

/// <summary>What every typed id shares: a new UUIDv7, and the one accepted text form (lowercase-insensitive "D", never empty).</summary>
public static class TypedId
{
    public static Guid NewValue() => Guid.CreateVersion7();

    public static bool TryParse(string? raw, out Guid value)
        => Guid.TryParseExact(raw, "D", out value) && value != Guid.Empty;
}
