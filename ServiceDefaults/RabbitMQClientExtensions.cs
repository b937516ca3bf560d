using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Mirrors Aspire.RabbitMQ.Client for the async-only RabbitMQ.Client 7: the connection is opened lazily and
/// shared, recovers by itself after a broker restart, and a health check reports whether it is open.
/// </summary>
public static class RabbitMQClientExtensions
{
    public static void AddRabbitMQClient(this IHostApplicationBuilder builder, string connectionName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var uri = new Uri(ConnectionStrings.Require(builder.Configuration, connectionName));
        var factory = new ConnectionFactory
        {
            Uri = uri,
            ClientProvidedName = builder.Environment.ApplicationName,
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = TimeSpan.FromSeconds(1),
        };
        builder.Services.AddSingleton(sp => new RabbitMQConnection(factory, sp.GetRequiredService<ILogger<RabbitMQConnection>>()));
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            connectionName,
            sp => new RabbitMQHealthCheck(sp.GetRequiredService<RabbitMQConnection>()),
            HealthStatus.Unhealthy,
            [Extensions.ReadyTag],
            TimeSpan.FromSeconds(5)));
    }

    private sealed class RabbitMQHealthCheck(RabbitMQConnection connection) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var open = await connection.GetAsync(cancellationToken);
                return open.IsOpen ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("The broker connection is closed.");
            }
            catch (Exception e) when (e is BrokerUnreachableException or OperationInterruptedException or IOException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("The broker is unreachable.");
            }
        }
    }
}

/// <summary>The one AMQP connection of a process; channels are cheap, connections are not.</summary>
public sealed partial class RabbitMQConnection(IConnectionFactory factory, ILogger<RabbitMQConnection> logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;

    public async Task<IConnection> GetAsync(CancellationToken cancellationToken)
    {
        if (_connection is { } existing)
        {
            return existing;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is null)
            {
                _connection = await factory.CreateConnectionAsync(cancellationToken);
                LogConnected(logger, factory.Uri.Host, factory.Uri.Port);
            }

            return _connection;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        _gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to RabbitMQ at {Host}:{Port}")]
    private static partial void LogConnected(ILogger logger, string host, int port);
}
