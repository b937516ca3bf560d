namespace Library.SharedKernel.Domain;

/// <summary>
/// Times are stored and sent truncated to microseconds (PostgreSQL's resolution), so a value read back
/// or replayed is byte-identical to the one first returned.
/// </summary>
public static class Clock
{
    public static DateTimeOffset UtcNowMicroseconds(this TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return TruncateToMicroseconds(timeProvider.GetUtcNow());
    }

    public static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % 10), TimeSpan.Zero);
    }
}
