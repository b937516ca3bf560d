using Library.Catalog.Domain.Books;
using Library.SharedKernel.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Library.Catalog.Infrastructure.Persistence;

/// <summary>The Catalog context's unit of work, on its own schema and role (SPEC §2).</summary>
public sealed class CatalogDbContext(DbContextOptions<CatalogDbContext> options) : LibraryDbContext(options)
{
    public const string SchemaName = "catalog";

    public override string Schema => SchemaName;

    public DbSet<Book> Books => Set<Book>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.HasPostgresExtension(SchemaName, "pg_trgm");
        modelBuilder.ApplyConfiguration(new BookConfiguration());
    }
}
