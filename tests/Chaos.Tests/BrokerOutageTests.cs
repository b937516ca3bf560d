using Library.SharedKernel.Resources;
using Library.Testing;

namespace Library.Chaos.Tests;

/// <summary>SPEC §6/§7: nothing is lost while RabbitMQ is down, and every saga completes once it is back.</summary>
public sealed class BrokerOutageTests(ChaosSystem system)
{
    [Fact]
    public async Task BorrowsAcceptedWhileTheBrokerIsDown_AllCompleteOnceItReturns_WithOneLoanEach()
    {
        var patron = await system.RegisterPatronAsync();
        var books = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            books.Add(await system.AddBookAsync());
        }

        // Lending needs no earlier event: each reservation carries the patron snapshot it is decided on.
        await system.App.StopResourceAsync(ResourceNames.EventBus);

        var operations = new List<string>();
        foreach (var book in books)
        {
            operations.Add(await system.BorrowAsync(book, patron));
        }

        foreach (var operation in operations)
        {
            (await system.WaitForOperationAsync(operation, TimeSpan.FromSeconds(5), "reserved", "borrowed", "released"))["status"]!.GetValue<string>()
                .ShouldBe("reserved", "nothing can move while the broker is down");
        }

        // The outage the issue asks for: the broker stays down for 30 s while the relays back off.
        await Task.Delay(TimeSpan.FromSeconds(30));
        await system.App.StartResourceAsync(ResourceNames.EventBus);

        foreach (var operation in operations)
        {
            (await system.WaitForOperationAsync(operation, TimeSpan.FromSeconds(90), "borrowed", "released"))["status"]!.GetValue<string>().ShouldBe("borrowed");
        }

        var loans = await system.LoansOfAsync(patron);
        loans.Count.ShouldBe(10);
        loans.Select(l => l!["bookId"]!.GetValue<string>()).Order().ShouldBe(books.Order());
        (await system.App.StateOfAsync(ResourceNames.EventBus)).ShouldBe("Running");
    }
}
