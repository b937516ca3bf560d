using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Library.SharedKernel.Resources;
using Library.Testing;

namespace Library.Chaos.Tests;

/// <summary>
/// SPEC §3 step 6: a reservation released by the reaper cancels the loan Lending made for it late. The reservation
/// TTL is live configuration: shortened in etcd for this test (so the reaper acts within it), then put back.
/// </summary>
public sealed class ReservationExpiryTests(ChaosSystem system)
{
    [Fact]
    public async Task AReservationThatExpiresWhileLendingIsDown_IsReleasedAndTheLateLoanIsCancelled()
    {
        var patron = await system.RegisterPatronAsync();
        var book = await system.AddBookAsync();
        var applied = await system.CountLogLinesAsync(ResourceNames.CatalogApi, "Configuration from etcd applied");
        await system.PutConfigurationAsync("/library/catalog/Catalog/ReservationTtl", "00:00:02");

        // The shorter TTL must reach Catalog before the borrow (a reservation older than it is released at once).
        await Poll.UntilAsync(
            async () => await system.CountLogLinesAsync(ResourceNames.CatalogApi, "Configuration from etcd applied") > applied,
            TimeSpan.FromSeconds(10),
            "Catalog to apply the shorter reservation TTL");
        try
        {
            await ExpireWhileLendingIsDownAsync(patron, book);
        }
        finally
        {
            await system.PutConfigurationAsync("/library/catalog/Catalog/ReservationTtl", "00:05:00");
            if (await system.App.StateOfAsync(ResourceNames.LendingApi) != "Running")
            {
                await system.App.StartResourceAsync(ResourceNames.LendingApi);
            }
        }
    }

    private async Task ExpireWhileLendingIsDownAsync(string patron, string book)
    {
        await system.App.StopResourceAsync(ResourceNames.LendingApi);

        var operation = await system.BorrowAsync(book, patron);
        var released = await system.WaitForOperationAsync(operation, TimeSpan.FromSeconds(30), "released", "borrowed");

        released["status"]!.GetValue<string>().ShouldBe("released");
        released["failureReason"]!.GetValue<string>().ShouldBe("reservation expired");

        // The reaper's commit reaches the book cache a moment after the operation shows it.
        var bookDeadline = DateTime.UtcNow.AddSeconds(5);
        string status;
        do
        {
            status = (await system.Gateway.GetFromJsonAsync<JsonObject>($"/books/{book}"))!["status"]!.GetValue<string>();
        }
        while (status != "available" && DateTime.UtcNow < bookDeadline);

        status.ShouldBe("available");

        await system.App.StartResourceAsync(ResourceNames.LendingApi);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonArray loans;
        do
        {
            loans = await system.LoansOfAsync(patron);
            if (loans.Count == 1 && loans[0]!["status"]!.GetValue<string>() == "cancelled")
            {
                break;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        loans.Count.ShouldBe(1);
        loans[0]!["status"]!.GetValue<string>().ShouldBe("cancelled");
        (await system.WaitForOperationAsync(operation, TimeSpan.FromSeconds(1), "released"))["loanId"].ShouldBeNull();
        (await system.Gateway.GetFromJsonAsync<JsonObject>($"/books/{book}"))!["status"]!.GetValue<string>().ShouldBe("available");
    }
}
