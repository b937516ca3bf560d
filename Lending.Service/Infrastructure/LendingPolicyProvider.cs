using Library.Lending.Domain.Loans;

namespace Library.Lending.Infrastructure;

/// <summary>
/// Reads the lending policy from configuration on every decision, so a change of <c>Lending:Policy:*</c> or
/// <c>Lending:MaxExtensions</c> (from any reloading source) applies to the next borrow without a restart.
/// A malformed or out-of-range value never stops lending: the last good policy stays in force, with a warning
/// (SPEC §6: bad or missing configuration means last known values, never a crash).
/// </summary>
public sealed partial class LendingPolicyProvider(IConfiguration configuration, ILogger<LendingPolicyProvider> logger)
{
    private static readonly (string Tier, TierPolicy Default)[] s_tiers =
        [("regular", new TierPolicy(5, 14)), ("premium", new TierPolicy(10, 21)), ("researcher", new TierPolicy(20, 30))];

    private LendingPolicy _lastGood = LendingPolicy.Default;
    private string? _lastProblem;

    public LendingPolicy Current
    {
        get
        {
            try
            {
                var tiers = new Dictionary<string, TierPolicy>(StringComparer.OrdinalIgnoreCase);
                foreach (var (tier, defaults) in s_tiers)
                {
                    var section = configuration.GetSection($"Lending:Policy:{tier}");
                    tiers[tier] = new TierPolicy(
                        InRange(section.GetValue("MaxLoans", defaults.MaxLoans), 0, 1000, $"Lending:Policy:{tier}:MaxLoans"),
                        InRange(section.GetValue("LoanDays", defaults.LoanDays), 1, 3650, $"Lending:Policy:{tier}:LoanDays"));
                }

                var policy = new LendingPolicy(tiers, InRange(configuration.GetValue("Lending:MaxExtensions", 3), 0, 100, "Lending:MaxExtensions"));
                _lastGood = policy;
                _lastProblem = null;
                return policy;
            }
            catch (InvalidOperationException e)
            {
                if (_lastProblem != e.Message)
                {
                    _lastProblem = e.Message;
                    LogInvalidPolicy(logger, e.Message);
                }

                return _lastGood;
            }
        }
    }

    private static int InRange(int value, int min, int max, string key)
        => value >= min && value <= max ? value : throw new InvalidOperationException($"{key} = {value} is outside {min}–{max}.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lending policy configuration is invalid ({Problem}); the last good policy stays in force")]
    private static partial void LogInvalidPolicy(ILogger logger, string problem);
}
