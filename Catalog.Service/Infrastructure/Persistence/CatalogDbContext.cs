using Library.Catalog.Domain.Books;
using Library.Catalog.Domain.Borrowing;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Messaging;
using Library.SharedKernel.Persistence;
using Microsoft.EntityFrameworkCore;
using Contracts = Library.SharedKernel.Contracts.Catalog;

namespace Library.Catalog.Infrastructure.Persistence;

/// <summary>The Catalog context's unit of work, on its own schema and role (SPEC §2).</summary>
public sealed class CatalogDbContext(DbContextOptions<CatalogDbContext> options) : LibraryDbContext(options)
{
    public const string SchemaName = "catalog";

    public override string Schema => SchemaName;

    public DbSet<Book> Books => Set<Book>();

    public DbSet<BorrowOperation> BorrowOperations => Set<BorrowOperation>();

    /// <summary>The borrow saga's steps on the catalog side become the events Lending reacts to (SPEC §3).</summary>
    protected override IIntegrationEvent? ToIntegrationEvent(IDomainEvent domainEvent) => domainEvent switch
    {
        BorrowStarted e => new Contracts.BookReserved(
            e.OperationId,
            e.BookId.Value,
            e.BookTitle,
            new Contracts.PatronSnapshot(e.Borrower.PatronId, e.Borrower.Email, e.Borrower.MembershipTier, e.Borrower.Suspended, e.Borrower.Version),
            e.OccurredAt),
        BorrowConfirmed e => new Contracts.BookBorrowed(e.OperationId, e.BookId.Value, e.LoanId, e.PatronId, e.PatronEmail, e.BookTitle, e.OccurredAt),
        BorrowReleased e => new Contracts.BookReservationReleased(e.OperationId, e.BookId.Value, e.Reason, e.OccurredAt),
        _ => null,
    };

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.HasPostgresExtension(SchemaName, "pg_trgm");
        modelBuilder.ApplyConfiguration(new BookConfiguration());
        modelBuilder.Entity<BorrowOperation>(operation =>
        {
            operation.ToTable("borrow_operations", table =>
            {
                table.HasCheckConstraint("ck_borrow_operations_status", "status IN ('reserved', 'borrowed', 'released', 'returned')");
                table.HasCheckConstraint("ck_borrow_operations_loan", "(status IN ('borrowed', 'returned')) = (loan_id IS NOT NULL)");
            });
            operation.HasKey(o => o.Id);
            operation.Property(o => o.Id).ValueGeneratedNever();
            operation.Property(o => o.BookId).HasConversion(id => id.Value, value => new BookId(value));
            operation.Property(o => o.Status).HasConversion(s => s.ToString().ToLowerInvariant(), s => Enum.Parse<BorrowOperationStatus>(s, true)).HasMaxLength(16);
            operation.Property(o => o.PatronEmail).HasMaxLength(254);
            operation.Property(o => o.BookTitle).HasMaxLength(200);
            operation.Property(o => o.FailureReason).HasMaxLength(500);
            operation.Property(o => o.Version).IsConcurrencyToken();
            operation.Ignore(o => o.DomainEvents);
            operation.HasOne<Book>().WithMany().HasForeignKey(o => o.BookId).OnDelete(DeleteBehavior.Restrict);

            // The database's half of "a book is never reserved or borrowed twice" (SPEC §2).
            operation.HasIndex(o => o.BookId).IsUnique().HasFilter("status IN ('reserved', 'borrowed')").HasDatabaseName("ux_borrow_operations_one_active_per_book");
            operation.HasIndex(o => o.CreatedAt).HasFilter("status = 'reserved'");
        });
    }
}
