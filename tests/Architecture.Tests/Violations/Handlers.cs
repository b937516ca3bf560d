namespace Library.Architecture.Tests.Violations.Application;

/// <summary>Names its entry point Handle instead of HandleAsync.</summary>
internal sealed class NotifyPatronHandler
{
    public Task Handle(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Hides its HandleAsync.</summary>
internal sealed class RenewLoanHandler
{
    internal Task HandleAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A well-formed use case: must not be reported.</summary>
internal sealed class ExtendLoanHandler
{
    public Task HandleAsync(Guid loanId, CancellationToken cancellationToken) => Task.CompletedTask;
}
