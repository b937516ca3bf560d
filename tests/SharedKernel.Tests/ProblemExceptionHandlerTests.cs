using System.Text.Json.Nodes;
using Library.SharedKernel.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Library.SharedKernel.Tests;

/// <summary>What an exception that reaches the request pipeline answers: a failing dependency is a 503, never a 500.</summary>
public sealed class ProblemExceptionHandlerTests
{
    public static TheoryData<Exception> DependencyFailures => new()
    {
        new RedisConnectionException(ConnectionFailureType.SocketClosed, CommandFlags.None, "No connection is active/available to service this operation", null, CommandStatus.Sent),
        new RedisServerException(RedisErrorKind.Loading, CommandFlags.None, "LOADING Redis is loading the dataset in memory"),
        new RedisTimeoutException(CommandFlags.None, "Timeout awaiting response", CommandStatus.Sent),
        new OperationCanceledException("A bound on a dependency's call fired."),
        new TaskCanceledException(),
    };

    [Theory]
    [MemberData(nameof(DependencyFailures))]
    public async Task AFailingOrSlowDependency_IsA503WithItsCode(Exception exception)
    {
        var (status, body) = await HandleAsync(exception, clientAborted: false);

        status.ShouldBe(StatusCodes.Status503ServiceUnavailable);
        body["code"]!.GetValue<string>().ShouldBe(ProblemCodes.DependencyUnavailable);
    }

    [Fact]
    public async Task AnExceptionNobodyExpected_IsA500_ThatSaysNothingOfTheInternals()
    {
        var (status, body) = await HandleAsync(new InvalidOperationException("secret detail"), clientAborted: false);

        status.ShouldBe(StatusCodes.Status500InternalServerError);
        body["code"]!.GetValue<string>().ShouldBe(ProblemCodes.Internal);
        body.ToJsonString().ShouldNotContain("secret detail");
    }

    [Fact]
    public async Task ACancellationBecauseTheClientLeft_IsNotPassedOffAsADependencyFailure()
    {
        var (status, _) = await HandleAsync(new OperationCanceledException(), clientAborted: true);

        status.ShouldBe(StatusCodes.Status500InternalServerError); // nobody reads it: the client is gone
    }

    private static async Task<(int Status, JsonObject Body)> HandleAsync(Exception exception, bool clientAborted)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        using var aborted = new CancellationTokenSource();
        if (clientAborted)
        {
            await aborted.CancelAsync();
        }

        var context = new DefaultHttpContext { RequestServices = services, RequestAborted = aborted.Token };
        context.Request.Method = "POST";
        context.Request.Path = "/books/1/borrow";
        context.Response.Body = new MemoryStream();
        var handler = new ProblemExceptionHandler(services.GetRequiredService<Microsoft.AspNetCore.Http.IProblemDetailsService>(), NullLogger<ProblemExceptionHandler>.Instance);

        (await handler.TryHandleAsync(context, exception, CancellationToken.None)).ShouldBeTrue();
        context.Response.Body.Position = 0;
        if (context.Response.Body.Length == 0)
        {
            return (context.Response.StatusCode, []);
        }

        return (context.Response.StatusCode, (await System.Text.Json.JsonSerializer.DeserializeAsync<JsonObject>(context.Response.Body))!);
    }
}
