using Library.Catalog.Domain.Books;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Idempotency;
using Microsoft.EntityFrameworkCore;

namespace Library.Catalog.Infrastructure.Persistence;

/// <summary>The Catalog context's unit of work, on its own schema and role (SPEC §2).</summary>
public sealed class CatalogDbContext(DbContextOptions<CatalogDbContext> options) : DbContext(options)
{
    public const string Schema = "catalog";

    public DbSet<Book> Books => Set<Book>();

    public override async Task<int> SaveChangesAsync(CancellationToken cancellationToken = default)
    {
        // Domain events are handled before the commit so that what they cause (outbox rows, projections)
        // is part of the same transaction as the state change.
        var aggregates = ChangeTracker.Entries<IHasDomainEvents>().Select(e => e.Entity).Where(a => a.DomainEvents.Count > 0).ToList();
        var written = await base.SaveChangesAsync(cancellationToken);
        foreach (var aggregate in aggregates)
        {
            aggregate.ClearDomainEvents();
        }

        return written;
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.HasPostgresExtension(Schema, "pg_trgm");
        modelBuilder.ApplyConfiguration(new BookConfiguration());
        modelBuilder.AddIdempotencyReceipts();
    }
}
