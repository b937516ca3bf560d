using Library.SharedKernel.Resources;
using Library.Testing;

namespace Library.Chaos.Tests;

/// <summary>
/// Lending dies after committing a loan but before acking the BookReserved that caused it: the documented failpoint
/// <c>Failpoints:CrashAfterHandleBeforeAck</c>, off by default, switched on for this test through etcd.
/// </summary>
public sealed class ConsumerCrashTests(ChaosSystem system)
{
    private const string Failpoint = "/library/lending/Failpoints/CrashAfterHandleBeforeAck";

    [Fact]
    public async Task AConsumerKilledBeforeItsAck_GetsTheMessageAgainAndAppliesItOnce()
    {
        var patron = await system.RegisterPatronAsync();
        var book = await system.AddBookAsync();
        var applied = await system.CountLogLinesAsync(ResourceNames.LendingApi, "Configuration from etcd applied");
        await system.PutConfigurationAsync(Failpoint, "catalog.book-reserved.v1");
        await Poll.UntilAsync(async () => await system.CountLogLinesAsync(ResourceNames.LendingApi, "Configuration from etcd applied") > applied, TimeSpan.FromSeconds(10), "Lending to apply the failpoint");
        string operation;
        try
        {
            operation = await system.BorrowAsync(book, patron);
            await Poll.UntilAsync(async () => await system.App.StateOfAsync(ResourceNames.LendingApi) is "Exited" or "Finished", TimeSpan.FromSeconds(30), "lending-api to crash at the failpoint");
        }
        finally
        {
            await system.DeleteConfigurationAsync(Failpoint);
        }

        await system.App.StartResourceAsync(ResourceNames.LendingApi);

        var done = await system.WaitForOperationAsync(operation, TimeSpan.FromSeconds(60), "borrowed", "released");
        done["status"]!.GetValue<string>().ShouldBe("borrowed");
        var loans = await system.LoansOfAsync(patron);
        loans.Count.ShouldBe(1);
        loans[0]!["id"]!.GetValue<string>().ShouldBe(done["loanId"]!.GetValue<string>());
    }
}
