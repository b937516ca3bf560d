using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Library.SharedKernel.Messaging;

/// <summary>
/// Whether a failure is the moment's, not the message's: the same work may succeed if tried again shortly
/// (a deadlock, a serialization or concurrency conflict, a lock not granted in time, an exhausted pool, a
/// database or network briefly gone). Anything else is treated as the message's own problem.
/// </summary>
public static class TransientFailures
{
    public static bool IsTransient(Exception exception) => exception switch
    {
        null => false,
        NpgsqlException { IsTransient: true } => true,
        DbUpdateConcurrencyException => true,
        TimeoutException or HttpRequestException or System.Net.Sockets.SocketException => true,
        Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsTransient),
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };
}
