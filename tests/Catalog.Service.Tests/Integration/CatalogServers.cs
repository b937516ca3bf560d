using Library.SharedKernel.Resources;
using Library.Testing;

[assembly: AssemblyFixture(typeof(Library.Catalog.Tests.Integration.CatalogServers))]

namespace Library.Catalog.Tests.Integration;

/// <summary>
/// The real servers Catalog.Service needs (PostgreSQL with catalogdb, Redis, RabbitMQ, etcd), started once for
/// this test assembly from the AppHost's app model; the service itself runs in-process so tests can control its clock.
/// </summary>
public sealed class CatalogServers : AppHostServers, IAsyncLifetime
{
    public string CatalogDb => ConnectionStrings[ResourceNames.CatalogDb];
}
