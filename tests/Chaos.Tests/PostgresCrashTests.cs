using System.Net;
using System.Net.Http.Json;
using Library.SharedKernel.Resources;
using Library.Testing;

namespace Library.Chaos.Tests;

/// <summary>
/// Issue 11: PostgreSQL SIGKILLed with sagas in flight. While it is down no request is a 500 (a write is 503, a read
/// 200 or 503); once it is back every write accepted before the crash is there, every saga in flight ends, new
/// borrows complete, and nothing answers 5xx. (Found: EF Core's "likely due to a transient failure" wrapper was a 500.)
/// </summary>
public sealed class PostgresCrashTests(ChaosSystem system)
{
    [Fact]
    public async Task PostgresKilledWithSagasInFlight_NoRequestIsA500_AndEverythingAcceptedCompletesOnceItIsBack()
    {
        var patron = await system.RegisterPatronAsync();
        var books = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            books.Add(await system.AddBookAsync());
        }

        (await system.Gateway.GetAsync($"/books/{books[5]}")).StatusCode.ShouldBe(HttpStatusCode.OK); // now cached (never borrowed below)
        var operations = new List<string>();
        foreach (var book in books.Take(4))
        {
            operations.Add(await system.BorrowAsync(book, patron));
        }

        await system.App.KillResourceAsync(ResourceNames.Postgres);
        try
        {
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 3; i++)
            {
                using (var write = await system.Gateway.PostAsJsonAsync("/books", new { title = $"During the crash {i}", author = "Chaos" }))
                {
                    statuses.Add(write.StatusCode);
                }

                using var read = await system.Gateway.GetAsync($"/books/{books[5]}");
                read.StatusCode.ShouldBeOneOf([HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable], "a read is answered from the cache or refused with 503, never a 500");
            }

            statuses.ShouldAllBe(s => s == HttpStatusCode.ServiceUnavailable, "a write the database cannot take is a 503, never a 500");
        }
        finally
        {
            await system.App.StartResourceAsync(ResourceNames.Postgres);
        }

        // Everything accepted before the crash is durable, and the sagas in flight end.
        foreach (var operation in operations)
        {
            (await system.WaitForOperationAsync(operation, TimeSpan.FromSeconds(90), "borrowed", "released"))["status"]!.GetValue<string>().ShouldBe("borrowed");
        }

        foreach (var book in books)
        {
            await Poll.UntilAsync(
                async () => (await system.Gateway.GetAsync($"/books/{book}")).StatusCode == HttpStatusCode.OK,
                TimeSpan.FromSeconds(30),
                $"book {book} to be readable after the crash");
        }

        // Recovered: new writes and sagas work, and nothing answers 5xx.
        var after = await system.WaitForOperationAsync(await system.BorrowAsync(books[4], patron), TimeSpan.FromSeconds(60), "borrowed", "released");
        after["status"]!.GetValue<string>().ShouldBe("borrowed");
        for (var i = 0; i < 20; i++)
        {
            using var write = await system.Gateway.PostAsJsonAsync("/books", new { title = $"After the crash {i}", author = "Chaos" });
            write.StatusCode.ShouldBe(HttpStatusCode.Created);
            using var list = await system.Gateway.GetAsync("/books?title=After%20the%20crash&limit=5");
            list.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await system.LoansOfAsync(patron)).Count.ShouldBe(5, "one loan per completed borrow, none twice");
    }
}
