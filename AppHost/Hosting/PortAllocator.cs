using System.Net;
using System.Net.Sockets;

namespace Library.AppHost.Hosting;

/// <summary>
/// Hands out free loopback ports, chosen at random *below* the kernel's ephemeral range: every port is allocated
/// before the first process starts, and a port from the ephemeral range could meanwhile become the source port
/// of some outgoing connection (a database pool, a test client), failing the later bind. The allocator
/// remembers what it gave so two resources of one run never share a port; random choice keeps runs apart.
/// </summary>
public sealed class PortAllocator
{
    private const int Lowest = 10000;
    private readonly HashSet<int> _given = [];
    private readonly Lock _lock = new();

    public int Next()
    {
        lock (_lock)
        {
            var highest = EphemeralRangeStart() - 1;
            for (var attempt = 0; attempt < 200 && highest > Lowest; attempt++)
            {
                var port = Random.Shared.Next(Lowest, highest + 1);
                if (!_given.Contains(port) && IsFree(port))
                {
                    _given.Add(port);
                    return port;
                }
            }

            // No room below the ephemeral range on this machine: let the kernel choose.
            for (var attempt = 0; attempt < 100; attempt++)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (_given.Add(port))
                {
                    return port;
                }
            }

            throw new InvalidOperationException("Could not find a free loopback port.");
        }
    }

    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32768;
        }
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static async Task<bool> CanConnectAsync(int port, CancellationToken ct)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, ct);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
