using Library.SharedKernel.Security;
using Library.Testing;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Library.Catalog.Domain.Books;
using Library.Catalog.Infrastructure.Persistence;
using Library.SharedKernel.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Library.Catalog.Tests.Integration;

/// <summary>Catalog against real PostgreSQL: migrations, constraints, concurrency and receipts.</summary>
[Collection(CatalogRelays.Name)]
public sealed class CatalogPersistenceTests(CatalogServers servers) : IAsyncLifetime
{
    private readonly CatalogApiFactory _factory = new(servers);
    private HttpClient _client = null!;

    public ValueTask InitializeAsync()
    {
        _client = _factory.CreateClient();
        _client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestTokens.Mint(LibraryRoles.Librarian));
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Migrations_CreateTheCatalogTablesInTheServicesOwnSchema()
    {
        await using var connection = new NpgsqlConnection(servers.CatalogDb);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'catalog'",
            connection);

        (await command.ExecuteScalarAsync()).ShouldBe("__ef_migrations_history,books,borrow_operations,idempotency_receipts,inbox_messages,outbox_messages");
    }

    [Fact]
    public async Task AddBook_StoresNormalisedValuesAndTheClockTruncatedToMicroseconds()
    {
        _factory.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 23, 9, 30, 0, TimeSpan.Zero).AddTicks(1_234_567));
        using var response = await _client.PostAsJsonAsync("/books", new { title = " The   Word for World ", author = "Le Guin", isbn = "0-306-40615-2" });
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var id = Guid.Parse((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());

        await using var scope = _factory.Services.CreateAsyncScope();
        var book = await scope.ServiceProvider.GetRequiredService<CatalogDbContext>().Books.AsNoTracking().SingleAsync(b => b.Id == new BookId(id));

        book.Title.ShouldBe("The Word for World");
        book.Isbn.ShouldBe("0306406152");
        book.AddedAt.ShouldBe(new DateTimeOffset(2026, 11, 23, 9, 30, 0, TimeSpan.Zero).AddTicks(1_234_560));
    }

    [Fact]
    public async Task StateMachine_RoundTripsThroughTheDatabase()
    {
        var id = await AddBookAsync();
        var operation = Guid.CreateVersion7();

        await MutateAsync(id, book => book.Reserve(operation, _factory.Clock.UtcNowMicroseconds()));
        await MutateAsync(id, book => book.ConfirmBorrow(operation, _factory.Clock.UtcNowMicroseconds()));
        (await LoadAsync(id)).Status.ShouldBe(BookStatus.Borrowed);
        await MutateAsync(id, book => book.Return(operation, _factory.Clock.UtcNowMicroseconds()));

        var returned = await LoadAsync(id);
        returned.Status.ShouldBe(BookStatus.Available);
        returned.HeldBy.ShouldBeNull();
        returned.Version.ShouldBe(4);
    }

    [Fact]
    public async Task TwoOperations_ReservingTheSameBookAtOnce_OnlyOneWins()
    {
        var id = await AddBookAsync();
        await using var firstScope = _factory.Services.CreateAsyncScope();
        await using var secondScope = _factory.Services.CreateAsyncScope();
        var first = firstScope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var second = secondScope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var firstCopy = await first.Books.SingleAsync(b => b.Id == id);
        var secondCopy = await second.Books.SingleAsync(b => b.Id == id);
        var firstOperation = Guid.CreateVersion7();

        firstCopy.Reserve(firstOperation, _factory.Clock.UtcNowMicroseconds());
        secondCopy.Reserve(Guid.CreateVersion7(), _factory.Clock.UtcNowMicroseconds());
        await first.SaveChangesAsync();

        await Should.ThrowAsync<DbUpdateConcurrencyException>(() => second.SaveChangesAsync());
        (await LoadAsync(id)).HeldBy.ShouldBe(firstOperation);
    }

    [Fact]
    public async Task Database_RefusesAReservedBookWithoutAHolder()
    {
        var id = await AddBookAsync();
        await using var connection = new NpgsqlConnection(servers.CatalogDb);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("UPDATE catalog.books SET status = 'reserved' WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", id.Value);

        (await Should.ThrowAsync<PostgresException>(() => command.ExecuteNonQueryAsync())).SqlState.ShouldBe(PostgresErrorCodes.CheckViolation);
    }

    [Fact]
    public async Task Database_RefusesAnUnknownStatus()
    {
        var id = await AddBookAsync();
        await using var connection = new NpgsqlConnection(servers.CatalogDb);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("UPDATE catalog.books SET status = 'lost', held_by = gen_random_uuid() WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", id.Value);

        (await Should.ThrowAsync<PostgresException>(() => command.ExecuteNonQueryAsync())).SqlState.ShouldBe(PostgresErrorCodes.CheckViolation);
    }

    [Fact]
    public async Task PostWithIdempotencyKey_StoresOneReceiptBesideOneBook()
    {
        var key = $"receipt-{Guid.NewGuid():N}";
        var title = $"Receipt {Guid.NewGuid():N}";
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/books") { Content = JsonContent.Create(new { title, author = "A" }) };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await _client.SendAsync(request);
            response.StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        await using var connection = new NpgsqlConnection(servers.CatalogDb);
        await connection.OpenAsync();
        await using var receipts = new NpgsqlCommand("SELECT count(*) FROM catalog.idempotency_receipts WHERE key = @key AND status_code = 201", connection);
        receipts.Parameters.AddWithValue("key", key);
        await using var books = new NpgsqlCommand("SELECT count(*) FROM catalog.books WHERE title = @title", connection);
        books.Parameters.AddWithValue("title", title);

        (await receipts.ExecuteScalarAsync()).ShouldBe(1L);
        (await books.ExecuteScalarAsync()).ShouldBe(1L);
    }

    [Fact]
    public async Task Health_CoversTheDatabaseCacheBrokerAndConfigurationStore()
    {
        var report = await _client.GetFromJsonAsync<JsonObject>("/health");

        report!["status"]!.GetValue<string>().ShouldBe("Healthy");
        // The checks of Aspire's client integrations (EF Core's is named after the context) and etcd's.
        foreach (var dependency in new[] { "CatalogDbContext", "StackExchange.Redis", "RabbitMQ.Client", "etcd" })
        {
            report["checks"]![dependency]!.GetValue<string>().ShouldBe("Healthy", dependency);
        }
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheBooksApi()
    {
        var document = await _client.GetFromJsonAsync<JsonObject>("/openapi/v1.json");
        document!["paths"]!["/books"]!["post"].ShouldNotBeNull();
        document["paths"]!["/books/{id}"]!["get"].ShouldNotBeNull();
    }

    private async Task<BookId> AddBookAsync()
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var book = Book.Add(BookTitle.Create($"Integration {Guid.NewGuid():N}").Value, Author.Create("Tester").Value, null, _factory.Clock.UtcNowMicroseconds());
        db.Books.Add(book);
        await db.SaveChangesAsync();
        return book.Id;
    }

    private async Task<Book> LoadAsync(BookId id)
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CatalogDbContext>().Books.AsNoTracking().SingleAsync(b => b.Id == id);
    }

    private async Task MutateAsync(BookId id, Action<Book> change)
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        change(await db.Books.SingleAsync(b => b.Id == id));
        await db.SaveChangesAsync();
    }
}
