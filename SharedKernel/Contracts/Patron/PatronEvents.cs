using Library.SharedKernel.Messaging;

namespace Library.SharedKernel.Contracts.Patron;

/// <summary>
/// Published by Patron. Every event carries the patron's full borrower-relevant state and its version, so a
/// consumer can keep a projection by "newest version wins" without caring about order or duplicates.
/// </summary>
public sealed record PatronRegistered(Guid PatronId, string Email, string FirstName, string LastName, string MembershipTier, bool Suspended, int Version, DateTimeOffset RegisteredAt) : IIntegrationEvent;

public sealed record PatronSuspended(Guid PatronId, string Email, string MembershipTier, string Reason, int Version) : IIntegrationEvent;

public sealed record PatronReinstated(Guid PatronId, string Email, string MembershipTier, int Version) : IIntegrationEvent;

public sealed record PatronTierUpgraded(Guid PatronId, string Email, string MembershipTier, bool Suspended, int Version) : IIntegrationEvent;
