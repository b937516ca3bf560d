using Library.Lending.Application.Events;
using Library.Lending.Domain.Loans;
using Library.Lending.Infrastructure.Jobs;
using Library.Lending.Infrastructure.Notifications;
using Library.Lending.Infrastructure.Persistence;
using Library.SharedKernel.Contracts.Catalog;
using Library.SharedKernel.Contracts.Patron;
using Library.SharedKernel.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Library.Lending.Tests.Integration;

/// <summary>Lending's decisions and its overdue sweep against real PostgreSQL, with a fake clock.</summary>
[Collection(LendingConsumers.Name)]
public sealed class LendingOverTimeTests(LendingServers servers) : IAsyncLifetime
{
    private readonly LendingApiFactory _factory = new(servers);

    public ValueTask InitializeAsync()
    {
        _ = _factory.Services; // starts the host: migrations applied
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task OverdueSweep_MarksAPastDueLoanOverdue_PublishesLoanOverdueAndOwesOneNotice_Once()
    {
        var loanId = await LendAsync(Snapshot(Guid.CreateVersion7()));
        _factory.Clock.Advance(TimeSpan.FromDays(14) + TimeSpan.FromSeconds(1));
        var sweep = _factory.Services.GetRequiredService<OverdueSweep>();

        await sweep.SweepAsync(CancellationToken.None);
        await sweep.SweepAsync(CancellationToken.None);

        await using var scope = _factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LendingDbContext>();
        (await db.Loans.AsNoTracking().SingleAsync(l => l.Id == loanId)).Status.ShouldBe(LoanStatus.Overdue);
        (await db.Set<OutboxMessage>().AsNoTracking().CountAsync(m => m.AggregateKey == loanId.ToString() && m.Type == "lending.loan-overdue.v1")).ShouldBe(1);
        (await db.OutgoingMails.CountAsync(m => m.Key.StartsWith($"loan-overdue:{loanId}:"))).ShouldBe(1, "one overdue notice, however often the sweep runs");
    }

    [Fact]
    public async Task OverdueSweep_LeavesALoanThatIsDueTodayAlone()
    {
        var loanId = await LendAsync(Snapshot(Guid.CreateVersion7()));
        _factory.Clock.Advance(TimeSpan.FromDays(14));

        await _factory.Services.GetRequiredService<OverdueSweep>().SweepAsync(CancellationToken.None);

        await using var scope = _factory.Services.CreateAsyncScope();
        (await scope.ServiceProvider.GetRequiredService<LendingDbContext>().Loans.AsNoTracking().SingleAsync(l => l.Id == loanId)).Status.ShouldBe(LoanStatus.Active);
    }

    [Fact]
    public async Task Reservation_ForAPatronLendingHasNeverHeardOf_IsDecidedOnItsSnapshot()
    {
        var loanId = await LendAsync(Snapshot(Guid.CreateVersion7()));
        loanId.ShouldNotBe(default);
    }

    [Fact]
    public async Task Reservation_WithAnOlderSnapshotThanTheProjection_IsDecidedOnTheProjection()
    {
        var patronId = Guid.CreateVersion7();
        await HandleAsync(new PatronSuspended(patronId, "reader@example.org", "regular", "Fines", Version: 3));

        var operationId = Guid.CreateVersion7();
        await HandleAsync(new BookReserved(operationId, Guid.CreateVersion7(), "Stale", Snapshot(patronId, suspended: false, version: 2), _factory.Clock.GetUtcNow()));

        await using var scope = _factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LendingDbContext>();
        (await db.Loans.AnyAsync(l => l.OperationId == operationId)).ShouldBeFalse();
        var rejection = await db.Set<OutboxMessage>().AsNoTracking().SingleAsync(m => m.AggregateKey == operationId.ToString());
        rejection.Type.ShouldBe("lending.loan-rejected.v1");
        rejection.Envelope.ShouldContain("patron is suspended");
    }

    [Fact]
    public async Task Reservation_WithANewerSnapshotThanTheProjection_IsDecidedOnTheSnapshot()
    {
        var patronId = Guid.CreateVersion7();
        await HandleAsync(new PatronSuspended(patronId, "reader@example.org", "regular", "Fines", Version: 2));

        var loanId = await LendAsync(Snapshot(patronId, suspended: false, version: 3));

        loanId.ShouldNotBe(default);
    }

    [Fact]
    public async Task ALoan_OwesExactlyOneConfirmation_WithItsUserDataEscapedInTheHtml()
    {
        var operationId = Guid.CreateVersion7();
        await HandleAsync(new BookReserved(operationId, Guid.CreateVersion7(), "<script>alert('x')</script> & Sons", Snapshot(Guid.CreateVersion7()), _factory.Clock.GetUtcNow()));

        await using var scope = _factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LendingDbContext>();
        var loan = await db.Loans.AsNoTracking().SingleAsync(l => l.OperationId == operationId);
        var mail = await db.OutgoingMails.AsNoTracking().SingleAsync(m => m.Key == $"loan-created:{loan.Id}");
        mail.To.ShouldBe("reader@example.org");
        mail.Status.ShouldBe(MailStatus.Pending);
        mail.Html.ShouldContain("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Sons");
        mail.Html.ShouldNotContain("<script>");
        mail.Text.ShouldContain("<script>alert('x')</script> & Sons", Case.Sensitive, "the text body is plain text");
    }

    [Fact]
    public async Task DueSoonReminder_IsOwedOnceWhenTheDueDateComesWithinTwoDays()
    {
        var loanId = await LendAsync(Snapshot(Guid.CreateVersion7()));
        var sweep = _factory.Services.GetRequiredService<OverdueSweep>();

        _factory.Clock.Advance(TimeSpan.FromDays(11)); // due in 3 days
        await sweep.RemindDueSoonAsync(CancellationToken.None);
        (await RemindersAsync(loanId)).ShouldBe(0);

        _factory.Clock.Advance(TimeSpan.FromDays(1.5)); // due in 1.5 days
        await sweep.RemindDueSoonAsync(CancellationToken.None);
        await sweep.RemindDueSoonAsync(CancellationToken.None);
        (await RemindersAsync(loanId)).ShouldBe(1);
    }

    private async Task<int> RemindersAsync(LoanId loanId)
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<LendingDbContext>().OutgoingMails.CountAsync(m => m.Key.StartsWith($"due-soon:{loanId}:"));
    }

    private static PatronSnapshot Snapshot(Guid patronId, bool suspended = false, int version = 1)
        => new(patronId, "reader@example.org", "regular", suspended, version);

    private async Task<LoanId> LendAsync(PatronSnapshot patron)
    {
        var operationId = Guid.CreateVersion7();
        await HandleAsync(new BookReserved(operationId, Guid.CreateVersion7(), "A Book", patron, _factory.Clock.GetUtcNow()));
        await using var scope = _factory.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<LendingDbContext>().Loans.AsNoTracking().SingleAsync(l => l.OperationId == operationId)).Id;
    }

    /// <summary>Runs the handler the way the consumer does: in one transaction on a fresh scope.</summary>
    private async Task HandleAsync<TEvent>(TEvent integrationEvent)
        where TEvent : IIntegrationEvent
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LendingDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        var envelope = new IntegrationEventEnvelope(Guid.CreateVersion7(), typeof(TEvent).Name, _factory.Clock.GetUtcNow(), Guid.CreateVersion7(), null, default);
        object handler = integrationEvent switch
        {
            BookReserved => scope.ServiceProvider.GetRequiredService<BookReservedHandler>(),
            _ => scope.ServiceProvider.GetRequiredService<PatronEventsHandler>(),
        };
        await ((IIntegrationEventHandler<TEvent>)handler).HandleAsync(integrationEvent, envelope, CancellationToken.None);
        await transaction.CommitAsync();
    }
}
