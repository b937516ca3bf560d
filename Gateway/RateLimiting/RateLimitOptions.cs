namespace Library.Gateway.RateLimiting;

/// <summary>
/// Per-IP budgets (section <c>RateLimits</c>): <c>Login</c> and <c>Register</c> guard the routes that name them in
/// their metadata (<c>RateLimitPolicy</c>); <c>General</c> applies to every request. A limit of 0 switches a
/// budget off. Every value is configuration; benchmark runs record the values they used (docs/benchmarks.md).
/// </summary>
public sealed class RateLimitOptions
{
    public const string General = "General";

    public Dictionary<string, RateLimitPolicy> Policies { get; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class RateLimitPolicy
{
    public int PermitLimit { get; set; }

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>1 = every request is counted in Redis (exact); N = every N-th (a replica may overshoot by N per window).</summary>
    public int SyncEvery { get; set; } = 1;
}
