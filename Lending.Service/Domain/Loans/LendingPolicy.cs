using Library.SharedKernel.Domain;

namespace Library.Lending.Domain.Loans;

/// <summary>How many outstanding loans a tier may hold and for how long one runs (SPEC §2; live-configurable).</summary>
public sealed record TierPolicy(int MaxLoans, int LoanDays);

public sealed class LendingPolicy(IReadOnlyDictionary<string, TierPolicy> tiers, int maxExtensions)
{
    public static LendingPolicy Default { get; } = new(
        new Dictionary<string, TierPolicy>(StringComparer.OrdinalIgnoreCase)
        {
            ["regular"] = new(5, 14),
            ["premium"] = new(10, 21),
            ["researcher"] = new(20, 30),
        },
        maxExtensions: 3);

    public int MaxExtensions { get; } = maxExtensions;

    public TierPolicy For(string membershipTier)
        => tiers.TryGetValue(membershipTier, out var policy) ? policy : tiers["regular"];
}

public sealed class BorrowerMustNotBeSuspended(bool suspended) : IBusinessRule
{
    public string Code => "patron.suspended";

    public string Message => "patron is suspended";

    public ErrorKind Kind => ErrorKind.Forbidden;

    public bool IsBroken() => suspended;
}

public sealed class PatronMustNotExceedLoanLimit(int outstanding, int maxLoans) : IBusinessRule
{
    public string Code => "loan.limit_reached";

    public string Message => $"borrowing limit of {maxLoans} reached";

    public ErrorKind Kind => ErrorKind.Conflict;

    public bool IsBroken() => outstanding >= maxLoans;
}

public sealed class OnlyAnActiveLoanCanBeExtended(LoanStatus status) : IBusinessRule
{
    public string Code => "loan.not_active";

    public string Message => $"Only an active loan can be extended; this one is {status.ToString().ToLowerInvariant()}.";

    public ErrorKind Kind => ErrorKind.Conflict;

    public bool IsBroken() => status != LoanStatus.Active;
}

public sealed class LoanMustNotBePastDue(DateTimeOffset dueDate, DateTimeOffset now) : IBusinessRule
{
    public string Code => "loan.past_due";

    public string Message => "A loan that is past its due date cannot be extended.";

    public ErrorKind Kind => ErrorKind.Conflict;

    public bool IsBroken() => now > dueDate;
}

public sealed class ExtensionDaysMustBeInRange(int days) : IBusinessRule
{
    public const int Max = 365;

    public string Code => "loan.extension_days_invalid";

    public string Message => $"days must be between 1 and {Max}.";

    public ErrorKind Kind => ErrorKind.Validation;

    public bool IsBroken() => days is < 1 or > Max;
}

public sealed class LoanMustNotExceedExtensions(int extensions, int maxExtensions) : IBusinessRule
{
    public string Code => "loan.extension_limit_reached";

    public string Message => $"A loan can be extended at most {maxExtensions} times.";

    public ErrorKind Kind => ErrorKind.Conflict;

    public bool IsBroken() => extensions >= maxExtensions;
}

public sealed class CancelledLoanCannotBeReturned(LoanStatus status) : IBusinessRule
{
    public string Code => "loan.cancelled";

    public string Message => "The loan was cancelled; there is nothing to return.";

    public ErrorKind Kind => ErrorKind.Conflict;

    public bool IsBroken() => status == LoanStatus.Cancelled;
}
