using Library.SharedKernel.Domain;

namespace Library.Patron.Domain.Patrons;

public sealed class PatronMustNotAlreadyBeSuspended(bool suspended) : IBusinessRule
{
    public string Code => "patron.already_suspended";

    public string Message => "The patron is already suspended.";

    public ErrorKind Kind => ErrorKind.Conflict;

    public bool IsBroken() => suspended;
}

public sealed class PatronMustBeSuspendedToReinstate(bool suspended) : IBusinessRule
{
    public string Code => "patron.not_suspended";

    public string Message => "Only a suspended patron can be reinstated.";

    public ErrorKind Kind => ErrorKind.Conflict;

    public bool IsBroken() => !suspended;
}

public sealed class TierMayOnlyBeUpgraded(MembershipTier current, MembershipTier requested) : IBusinessRule
{
    public string Code => "patron.tier_not_higher";

    public string Message => $"A {current.ToWire()} patron can only move to a higher tier, not to {requested.ToWire()}.";

    public ErrorKind Kind => ErrorKind.Conflict;

    public bool IsBroken() => requested <= current;
}
