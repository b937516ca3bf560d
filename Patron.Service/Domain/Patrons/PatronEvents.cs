using Library.SharedKernel.Domain;

namespace Library.Patron.Domain.Patrons;

/// <summary>Each event carries the borrower-relevant state after the change, so consumers need nothing else.</summary>
public sealed record PatronRegistered(PatronId PatronId, string Email, string FirstName, string LastName, MembershipTier Tier, int Version, DateTimeOffset OccurredAt) : IDomainEvent;

public sealed record PatronSuspended(PatronId PatronId, string Email, MembershipTier Tier, string Reason, int Version, DateTimeOffset OccurredAt) : IDomainEvent;

public sealed record PatronReinstated(PatronId PatronId, string Email, MembershipTier Tier, int Version, DateTimeOffset OccurredAt) : IDomainEvent;

public sealed record PatronTierUpgraded(PatronId PatronId, string Email, MembershipTier Tier, bool Suspended, int Version, DateTimeOffset OccurredAt) : IDomainEvent;
