using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;

namespace Library.Catalog.Infrastructure.Persistence;

internal static class CatalogDatabase
{
    public static void ConfigureNpgsql(NpgsqlDbContextOptionsBuilder npgsql)
        => npgsql.MigrationsHistoryTable("__ef_migrations_history", CatalogDbContext.SchemaName);
}
