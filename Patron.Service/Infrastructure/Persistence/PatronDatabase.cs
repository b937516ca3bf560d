using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;

namespace Library.Patron.Infrastructure.Persistence;

internal static class PatronDatabase
{
    public static void ConfigureNpgsql(NpgsqlDbContextOptionsBuilder npgsql)
        => npgsql.MigrationsHistoryTable("__ef_migrations_history", PatronDbContext.SchemaName);
}

/// <summary>Lets `dotnet ef migrations add` build the model without a database or the web host.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<PatronDbContext>
{
    public PatronDbContext CreateDbContext(string[] args)
        => new(new DbContextOptionsBuilder<PatronDbContext>()
            .UseNpgsql("Host=localhost;Database=patrondb", PatronDatabase.ConfigureNpgsql)
            .UseSnakeCaseNamingConvention()
            .Options);
}
