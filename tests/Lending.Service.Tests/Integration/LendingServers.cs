using Library.SharedKernel.Resources;
using Library.Testing;

[assembly: AssemblyFixture(typeof(Library.Lending.Tests.Integration.LendingServers))]

namespace Library.Lending.Tests.Integration;

/// <summary>The real servers Lending.Service needs, started once for this test assembly; the service runs in-process.</summary>
public sealed class LendingServers : AppHostServers, IAsyncLifetime;
