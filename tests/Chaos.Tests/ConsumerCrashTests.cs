using Library.AppHost.Hosting;
using Library.SharedKernel.Resources;
using Library.Testing;

namespace Library.Chaos.Tests;

/// <summary>Lending dies after committing a loan but before acking the BookReserved that caused it.</summary>
public sealed class ConsumerCrashSystem : ChaosSystem
{
    public const string Failpoint = "Failpoints__CrashAfterHandleBeforeAck";

    protected override void Configure(DistributedApplicationTestingBuilder builder)
        => Project(builder, ResourceNames.LendingApi).SetEnvironmentVariable(Failpoint, "catalog.book-reserved.v1");
}

public sealed class ConsumerCrashTests(ConsumerCrashSystem system) : IClassFixture<ConsumerCrashSystem>
{
    [Fact]
    public async Task AConsumerKilledBeforeItsAck_GetsTheMessageAgainAndAppliesItOnce()
    {
        var patron = await system.RegisterPatronAsync();
        var book = await system.AddBookAsync();
        var lending = system.App.GetResource(ResourceNames.LendingApi);

        var operation = await system.BorrowAsync(book, patron);

        await Poll.UntilAsync(() => lending.State == ResourceState.Exited, TimeSpan.FromSeconds(30), "lending-api to crash at the failpoint");
        ((Library.AppHost.Hosting.Resources.ProjectResource)lending).SetEnvironmentVariable(ConsumerCrashSystem.Failpoint, string.Empty);
        await system.App.StartResourceAsync(ResourceNames.LendingApi);

        var done = await system.WaitForOperationAsync(operation, TimeSpan.FromSeconds(60), "borrowed", "released");
        done["status"]!.GetValue<string>().ShouldBe("borrowed");
        var loans = await system.LoansOfAsync(patron);
        loans.Count.ShouldBe(1);
        loans[0]!["id"]!.GetValue<string>().ShouldBe(done["loanId"]!.GetValue<string>());
    }
}
