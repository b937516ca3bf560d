using Library.SharedKernel.Resources;
using Library.Testing;

[assembly: AssemblyFixture(typeof(Library.Gateway.Tests.RedisServer))]

namespace Library.Gateway.Tests;

/// <summary>One real Redis (the app model's) for this test assembly: what two Gateway instances share their counters through.</summary>
public sealed class RedisServer() : AppHostServers(ResourceNames.Redis), IAsyncLifetime
{
    public string ConnectionString => ConnectionStrings[ResourceNames.Redis];
}
