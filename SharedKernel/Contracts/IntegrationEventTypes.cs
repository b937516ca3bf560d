using Library.SharedKernel.Contracts.Catalog;
using Library.SharedKernel.Contracts.Lending;
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
        .Register<PatronTierUpgraded>("patron.patron-tier-upgraded.v1")
        .Register<BookReserved>("catalog.book-reserved.v1")
        .Register<BookBorrowed>("catalog.book-borrowed.v1")
        .Register<BookReservationReleased>("catalog.book-reservation-released.v1")
        .Register<LoanCreated>("lending.loan-created.v1")
        .Register<LoanRejected>("lending.loan-rejected.v1")
        .Register<LoanReturned>("lending.loan-returned.v1")
        .Register<LoanExtended>("lending.loan-extended.v1")
        .Register<LoanOverdue>("lending.loan-overdue.v1")
        .Register<LoanCancelled>("lending.loan-cancelled.v1");
}
