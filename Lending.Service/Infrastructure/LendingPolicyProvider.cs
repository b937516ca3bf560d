using Library.Lending.Domain.Loans;

namespace Library.Lending.Infrastructure;

/// <summary>
/// Reads the lending policy from configuration on every decision, so a change of <c>Lending:Policy:*</c> or
/// <c>Lending:MaxExtensions</c> (from any reloading source) applies to the next borrow without a restart.
/// </summary>
public sealed class LendingPolicyProvider(IConfiguration configuration)
{
    public LendingPolicy Current
    {
        get
        {
            var tiers = new Dictionary<string, TierPolicy>(StringComparer.OrdinalIgnoreCase);
            foreach (var (tier, defaults) in new[] { ("regular", new TierPolicy(5, 14)), ("premium", new TierPolicy(10, 21)), ("researcher", new TierPolicy(20, 30)) })
            {
                var section = configuration.GetSection($"Lending:Policy:{tier}");
                tiers[tier] = new TierPolicy(section.GetValue("MaxLoans", defaults.MaxLoans), section.GetValue("LoanDays", defaults.LoanDays));
            }

            return new LendingPolicy(tiers, configuration.GetValue("Lending:MaxExtensions", 3));
        }
    }
}
