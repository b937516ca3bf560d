using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Library.Catalog.Infrastructure.Persistence;

/// <summary>Lets `dotnet ef migrations add` build the model without a database or the web host.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<CatalogDbContext>
{
    public CatalogDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<CatalogDbContext>()
            .UseNpgsql("Host=localhost;Database=catalogdb", CatalogDatabase.ConfigureNpgsql)
            .UseSnakeCaseNamingConvention()
            .Options;
        return new CatalogDbContext(options);
    }
}
