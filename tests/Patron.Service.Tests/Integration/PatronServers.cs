using Library.SharedKernel.Resources;
using Library.Testing;

[assembly: AssemblyFixture(typeof(Library.Patron.Tests.Integration.PatronServers))]

namespace Library.Patron.Tests.Integration;

/// <summary>The real servers Patron.Service needs, started once for this test assembly; the service runs in-process.</summary>
public sealed class PatronServers : AppHostServers, IAsyncLifetime;
