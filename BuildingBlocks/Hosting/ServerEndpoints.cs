using System.Net;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Library.Hosting;

/// <summary>
/// The servers' endpoints are <b>direct</b> by default: each server listens on a port chosen for this run, and its
/// clients connect to it, not to the orchestrator's proxy in front of it (decision 0016). The proxy forwarded every
/// byte of every database, cache and broker round trip through one more process: about 3 ms of CPU per borrow saga
/// on the orchestrator, plus the latency of the extra hop (docs/benchmarks.md). A server is one instance, so the
/// proxy's load balancing buys nothing; a restarted server keeps its port. <c>Servers:Proxied=true</c> puts the
/// proxy back (to compare).
/// <para>Ports come from 20000–32767, below Linux's ephemeral range (32768–60999): no outgoing connection is ever
/// given one, so a port that binds now is still free when the server starts, unless another listener takes it in
/// between; two runs side by side draw different ports.</para>
/// </summary>
public static class ServerEndpoints
{
    private const int First = 20000;
    private const int Last = 32767;
    private static readonly HashSet<int> s_given = [];

    /// <summary>Adds a TCP (or other scheme) endpoint for a server: direct on a free port, or proxied when <c>Servers:Proxied</c> is true.</summary>
    public static IResourceBuilder<T> WithServerEndpoint<T>(this IResourceBuilder<T> builder, string name, string scheme = "tcp")
        where T : IResourceWithEndpoints
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (Proxied(builder.ApplicationBuilder))
        {
            return builder.WithEndpoint(name: name, scheme: scheme);
        }

        var port = FreePort();
        return builder.WithEndpoint(name: name, scheme: scheme, port: port, targetPort: port, isProxied: false);
    }

    /// <summary>Whether the servers sit behind the orchestrator's proxy (<c>Servers:Proxied</c>, default false).</summary>
    public static bool Proxied(IDistributedApplicationBuilder builder)
        => string.Equals(builder?.Configuration["Servers:Proxied"], "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>A port of 20000–32767 that binds on 127.0.0.1 now and was not given out before in this process.</summary>
    public static int FreePort()
    {
        lock (s_given)
        {
            var start = Random.Shared.Next(First, Last + 1);
            for (var i = 0; i <= Last - First; i++)
            {
                var port = First + ((start - First + i) % (Last - First + 1));
                if (!s_given.Contains(port) && Binds(port))
                {
                    s_given.Add(port);
                    return port;
                }
            }
        }

        throw new DistributedApplicationException($"No free port between {First} and {Last} on 127.0.0.1.");
    }

    private static bool Binds(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
