using StackExchange.Redis;

namespace Library.SharedKernel.Resilience;

/// <summary>
/// The one <c>redis</c> breaker of a process, shared by everything that calls Redis on a request's path (the
/// query cache, the deny-list lookup, the Gateway's rate limiter): when Redis is slow or failing, each falls back
/// to what it has without Redis (the database, the in-memory deny-list, per-instance counting) instead of every
/// request paying the call's timeout. Listed at <c>/health/circuits</c>.
/// </summary>
public static class RedisBreaker
{
    public static readonly DeclaredBreaker Declared = new("redis", new BreakerDefaults(FailureRatio: 0.5, MinimumThroughput: 10), (_, e) => e is RedisException or TimeoutException);

    /// <summary>
    /// The longest a request's Redis call may take before it counts as a failure (and the fallback answers). A
    /// healthy Redis answers in well under a millisecond; on a saturated two-core machine a call now and then
    /// takes a few hundred, which this bound tolerates, and a breaker needs a run of them to open.
    /// </summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromMilliseconds(500);
}
