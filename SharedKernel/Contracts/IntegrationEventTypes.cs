using Library.SharedKernel.Contracts.Patron;
using Library.SharedKernel.Messaging;

namespace Library.SharedKernel.Contracts;

/// <summary>Every integration event of the product and its wire name (= routing key). One list, read by all.</summary>
public static class IntegrationEventTypes
{
    public static IntegrationEventRegistry Registry { get; } = new IntegrationEventRegistry()
        .Register<PatronRegistered>("patron.patron-registered.v1")
        .Register<PatronSuspended>("patron.patron-suspended.v1")
        .Register<PatronReinstated>("patron.patron-reinstated.v1")
        .Register<PatronTierUpgraded>("patron.patron-tier-upgraded.v1");
}
