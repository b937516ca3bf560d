using Library.Catalog.Domain.Books;
using Library.Catalog.Domain.Borrowing;
using Library.Catalog.Infrastructure.Jobs;
using Library.Catalog.Infrastructure.Persistence;
using Library.SharedKernel.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Library.Catalog.Tests.Integration;

/// <summary>The reservation TTL with a fake clock against real PostgreSQL: no test sleeps through 300 s.</summary>
[Collection(CatalogRelays.Name)]
public sealed class ReservationReaperTests(CatalogServers servers) : IAsyncLifetime
{
    private readonly CatalogApiFactory _factory = new(servers);

    public ValueTask InitializeAsync()
    {
        _ = _factory.Services; // starts the host: migrations applied
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Reaper_ReleasesAReservationOlderThanTheTtl_WithReasonReservationExpired()
    {
        var (operationId, bookId) = await ReserveAsync();
        _factory.Clock.Advance(TimeSpan.FromSeconds(301));

        await _factory.Services.GetRequiredService<ReservationReaper>().ReapAsync(CancellationToken.None);

        await using var scope = _factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var operation = await db.BorrowOperations.AsNoTracking().SingleAsync(o => o.Id == operationId);
        operation.Status.ShouldBe(BorrowOperationStatus.Released);
        operation.FailureReason.ShouldBe("reservation expired");
        (await db.Books.AsNoTracking().SingleAsync(b => b.Id == bookId)).Status.ShouldBe(BookStatus.Available);
        (await db.Set<Library.SharedKernel.Messaging.OutboxMessage>().AsNoTracking()
            .CountAsync(m => m.AggregateKey == operationId.ToString() && m.Type == "catalog.book-reservation-released.v1")).ShouldBe(1);
    }

    [Fact]
    public async Task Reaper_LeavesAReservationYoungerThanTheTtlAlone()
    {
        var (operationId, _) = await ReserveAsync();
        _factory.Clock.Advance(TimeSpan.FromSeconds(299));

        await _factory.Services.GetRequiredService<ReservationReaper>().ReapAsync(CancellationToken.None);

        await using var scope = _factory.Services.CreateAsyncScope();
        (await scope.ServiceProvider.GetRequiredService<CatalogDbContext>().BorrowOperations.AsNoTracking().SingleAsync(o => o.Id == operationId))
            .Status.ShouldBe(BorrowOperationStatus.Reserved);
    }

    private async Task<(Guid OperationId, BookId BookId)> ReserveAsync()
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var now = _factory.Clock.UtcNowMicroseconds();
        var book = Book.Add(BookTitle.Create($"Reaper {Guid.NewGuid():N}").Value, Author.Create("Tester").Value, null, now);
        db.Books.Add(book);
        var operation = BorrowOperation.Start(book, new BorrowerSnapshot(Guid.CreateVersion7(), "reader@example.org", "regular", false, 1), now);
        db.BorrowOperations.Add(operation);
        await db.SaveChangesAsync();
        return (operation.Id, book.Id);
    }
}
