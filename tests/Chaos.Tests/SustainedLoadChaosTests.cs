using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Library.SharedKernel.Resources;
using Library.Testing;

namespace Library.Chaos.Tests;

/// <summary>
/// Issue 11: chaos under sustained load. While a mix of reads, book and patron writes, borrows and returns runs
/// against both Gateways, each server, each service and one Gateway of two is SIGKILLed in turn, held down, and
/// started again. Afterwards: every accepted write is durable, every accepted borrow's saga ended, no book was lent
/// twice and no borrow made two loans, no request anywhere was a 500, and once the last fault is repaired nothing
/// answers 5xx. The table of what happened goes to <c>chaos-under-load.md</c> beside the test binary (eng/test.sh
/// prints it). <c>LIBRARY_CHAOS_ROUNDS</c> (1), <c>LIBRARY_CHAOS_HOLD_SECONDS</c> (3) and <c>LIBRARY_CHAOS_WORKERS</c>
/// (8) make a longer run (eng/chaos.sh; the clients' token lasts 15 minutes, about six rounds);
/// <c>LIBRARY_CHAOS_TARGETS</c> (a comma-separated list of resource names; default all eight) picks what is killed.
/// </summary>
public sealed class SustainedLoadChaosTests(ChaosSystem system)
{
    private static readonly string[] Targets =
    [
        ResourceNames.CatalogApi, ResourceNames.LendingApi, ResourceNames.PatronApi, ChaosSystem.SecondGateway,
        ResourceNames.EventBus, ResourceNames.Redis, ResourceNames.Postgres, ResourceNames.Etcd,
    ];

    private static readonly TimeSpan AfterEachFault = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan QuietWindow = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task EachServerServiceAndGatewayKilledInTurnUnderLoad_LosesNoAcceptedWrite_LeavesNoSagaStuck_LendsNoBookTwice_AndNeverAnswers500()
    {
        var rounds = Setting("LIBRARY_CHAOS_ROUNDS", 1);
        var hold = TimeSpan.FromSeconds(Setting("LIBRARY_CHAOS_HOLD_SECONDS", 3));
        var workers = Setting("LIBRARY_CHAOS_WORKERS", 8);
        var targets = Environment.GetEnvironmentVariable("LIBRARY_CHAOS_TARGETS") is { Length: > 0 } only
            ? only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : Targets;

        var patrons = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            patrons.Add(await system.RegisterPatronAsync());
        }

        var books = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            books.Add((await system.Gateway.AddBookAsync(Json.Unique("Soak"), author: "Soak"))["id"]!.GetValue<string>());
        }

        var load = new SustainedLoad([system.GatewayAddress, system.SecondGatewayAddress], await system.SignInLibrarianAsync(), patrons, books);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(workers, stop.Token);
        var faults = new List<Fault>();
        TimeSpan steadyFrom;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var target in targets)
                {
                    load.Phase = $"{target} down";
                    var killedAt = load.Now;
                    await system.App.KillResourceAsync(target);
                    await Task.Delay(hold);
                    load.Phase = $"{target} restarting";
                    var restartAt = load.Now;
                    await system.App.StartResourceAsync(target);
                    var healthyAt = load.Now;
                    load.Phase = $"{target} after";
                    await Task.Delay(AfterEachFault);
                    faults.Add(new Fault(round, target, killedAt, restartAt, healthyAt, load.Now));
                }
            }

            load.Phase = "steady";
            steadyFrom = load.Now;
            await Task.Delay(TimeSpan.FromSeconds(8));
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }

        var steadyUntil = load.Now;
        var check = await CheckAsync(load);
        var samples = load.Samples;
        var report = Report(load, samples, faults, steadyFrom, steadyUntil, check, rounds, hold, workers);
        await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "chaos-under-load.md"), report);
        TestContext.Current.TestOutputHelper?.WriteLine(report);

        if (samples.Any(s => s.Status == 500))
        {
            samples.Where(s => s.Status == 500).ShouldBeEmpty($"no request is ever a 500; the services logged:{Environment.NewLine}{await system.UnhandledExceptionsAsync()}");
        }

        load.Unexpected.ShouldBeEmpty("every answer is one the mix expects");
        check.Lost.ShouldBeEmpty("every accepted write is durable");
        check.Stuck.ShouldBeEmpty("every accepted borrow's saga ends");
        check.Duplicates.ShouldBeEmpty("no book is lent twice, no borrow makes two loans, no key writes twice");
        samples.Where(s => s.At >= steadyFrom && s.At < steadyUntil && s.Status is 0 or >= 500).ShouldBeEmpty("after the last repair nothing fails");
        foreach (var fault in faults)
        {
            Recovered(samples, fault).ShouldBeLessThan(TimeSpan.FromSeconds(60), $"{fault.Target} recovers");
        }
    }

    private sealed record Fault(int Round, string Target, TimeSpan KilledAt, TimeSpan RestartAt, TimeSpan HealthyAt, TimeSpan EndsAt);

    private sealed record Checked(List<string> Lost, List<string> Stuck, List<string> Duplicates, int Borrowed, int Released, int Loans);

    private async Task<Checked> CheckAsync(SustainedLoad load)
    {
        var lost = new List<string>();
        var stuck = new List<string>();
        var duplicates = new List<string>();
        var client = system.Gateway;

        foreach (var book in load.Books)
        {
            using var response = await client.GetAsync($"/books/{book.Id}");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                lost.Add($"book {book.Id}: {(int)response.StatusCode}");
            }

            if (book.Attempts > 1 && await client.CountBooksTitledAsync($"Soak {book.Key}") != 1)
            {
                duplicates.Add($"book key {book.Key} ({book.Attempts} attempts) wrote {await client.CountBooksTitledAsync($"Soak {book.Key}")} books");
            }
        }

        foreach (var patron in load.Patrons)
        {
            using var response = await client.GetAsync($"/patrons/{patron}");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                lost.Add($"patron {patron}: {(int)response.StatusCode}");
            }
        }

        // Every accepted borrow ends: borrowed (or returned since), or released.
        var operations = new List<JsonObject>();
        foreach (var borrow in load.Borrows)
        {
            try
            {
                operations.Add(await client.WaitForOperationAsync(borrow.Location, TimeSpan.FromSeconds(60), "borrowed", "returned", "released"));
            }
            catch (TimeoutException e)
            {
                stuck.Add(e.Message);
            }
        }

        var lentOperations = operations.Where(o => o["status"]!.GetValue<string>() is "borrowed" or "returned").ToList();
        foreach (var loanId in lentOperations.GroupBy(o => o["loanId"]?.GetValue<string>()).Where(g => g.Key is null || g.Count() > 1))
        {
            duplicates.Add($"loan {loanId.Key ?? "(none)"} belongs to {loanId.Count()} borrow operations");
        }

        // Every loan of the patrons: one per lent operation (a redelivered event makes none), one open loan per book.
        var loans = new List<JsonObject>();
        foreach (var patron in load.Borrows.Select(b => b.PatronId).Distinct())
        {
            string? cursor = null;
            do
            {
                var page = (await client.GetFromJsonAsync<JsonObject>($"/loans?patronId={patron}&limit=100{(cursor is null ? string.Empty : $"&cursor={Uri.EscapeDataString(cursor)}")}"))!;
                loans.AddRange(page["items"]!.AsArray().Select(l => l!.AsObject()));
                cursor = page["nextCursor"]?.GetValue<string>();
            }
            while (cursor is not null);
        }

        var abandonedBorrows = load.Abandoned.Count(a => a.Kind == "POST /books/{id}/borrow");
        if (loans.Count < lentOperations.Count || loans.Count > lentOperations.Count + abandonedBorrows)
        {
            duplicates.Add($"{loans.Count} loans for {lentOperations.Count} lent borrow operations ({abandonedBorrows} borrows abandoned by their client)");
        }

        foreach (var book in loans.Where(l => l["status"]!.GetValue<string>() is "active" or "overdue").GroupBy(l => l["bookId"]!.GetValue<string>()).Where(g => g.Count() > 1))
        {
            duplicates.Add($"book {book.Key} has {book.Count()} open loans");
        }

        var byId = loans.ToDictionary(l => l["id"]!.GetValue<string>());
        foreach (var returned in load.Returns)
        {
            if (!byId.TryGetValue(returned.LoanId, out var loan) || loan["status"]!.GetValue<string>() != "returned")
            {
                lost.Add($"return of loan {returned.LoanId}: {(loan is null ? "no such loan" : loan["status"])}");
            }
        }

        return new Checked(lost, stuck, duplicates, lentOperations.Count, operations.Count - lentOperations.Count, loans.Count);
    }

    /// <summary>From the restart until the last failure of the fault's window (which ends <see cref="AfterEachFault"/> after it was healthy).</summary>
    private static TimeSpan Recovered(IReadOnlyList<SustainedLoad.Sample> samples, Fault fault)
    {
        var failures = samples.Where(s => s.At >= fault.RestartAt && s.At < fault.EndsAt && s.Status is 0 or >= 500).ToList();
        return failures.Count == 0 ? TimeSpan.Zero : failures.Max(s => s.At) - fault.RestartAt;
    }

    private static string Report(SustainedLoad load, IReadOnlyList<SustainedLoad.Sample> samples, List<Fault> faults, TimeSpan steadyFrom, TimeSpan steadyUntil, Checked check, int rounds, TimeSpan hold, int workers)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        var seconds = (samples.Count == 0 ? TimeSpan.Zero : samples.Max(s => s.At) - samples.Min(s => s.At)).TotalSeconds;
        text.AppendLine(inv, $"Chaos under load: {rounds} round(s), each fault held {hold.TotalSeconds:0} s, {workers} clients on 2 Gateways; {samples.Count} attempts in {seconds:0} s ({samples.Count / Math.Max(1, seconds):0} per s)");
        text.AppendLine();
        text.AppendLine("| Fault (SIGKILL) | down s | restart → healthy s | recovered s | attempts | 5xx while down/restarting | 5xx after healthy | no answer | 500s |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var fault in faults)
        {
            var during = samples.Where(s => s.At >= fault.KilledAt && s.At < fault.EndsAt).ToList();
            text.AppendLine(inv,
                $"| {fault.Target}{(rounds > 1 ? $" (round {fault.Round})" : string.Empty)} | {(fault.RestartAt - fault.KilledAt).TotalSeconds:0.0} | {(fault.HealthyAt - fault.RestartAt).TotalSeconds:0.0} | {Recovered(samples, fault).TotalSeconds:0.0} | {during.Count} | " +
                $"{during.Count(s => s.At < fault.HealthyAt && s.Status >= 500)} | {during.Count(s => s.At >= fault.HealthyAt && s.Status >= 500)} | {during.Count(s => s.Status == 0)} | {during.Count(s => s.Status == 500)} |");
        }

        var steady = samples.Where(s => s.At >= steadyFrom && s.At < steadyUntil).ToList();
        text.AppendLine(inv, $"| (none: after the last repair) | | | | {steady.Count} | | {steady.Count(s => s.Status >= 500)} | {steady.Count(s => s.Status == 0)} | {steady.Count(s => s.Status == 500)} |");
        text.AppendLine();
        text.AppendLine("Failures by fault (after healthy marked +), kind, status and what it said:");
        foreach (var fault in faults)
        {
            var failed = samples.Where(s => s.At >= fault.KilledAt && s.At < fault.EndsAt && s.Status is 0 or >= 500)
                .GroupBy(s => $"{(s.At >= fault.HealthyAt ? "+" : string.Empty)}{s.Kind} {(s.Status == 0 ? "no answer" : s.Status.ToString(inv))} {s.Detail}")
                .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} ×{g.Count()}").ToList();
            if (failed.Count > 0)
            {
                text.AppendLine(inv, $"  {fault.Target}: {string.Join("; ", failed)}");
            }
        }

        text.AppendLine();
        text.AppendLine(inv, $"Accepted writes: {load.Books.Count} books, {load.Patrons.Count} patrons, {load.Borrows.Count} borrows, {load.Returns.Count} returns; abandoned by their client after {SustainedLoad.WriteRetryBudget.TotalSeconds:0} s of retries: {load.Abandoned.Count}.");
        text.AppendLine(inv, $"Durable: {(check.Lost.Count == 0 ? "all" : $"{check.Lost.Count} LOST")}. Sagas: {check.Borrowed} lent, {check.Released} released, {check.Stuck.Count} stuck. Loans: {check.Loans}; duplicates: {check.Duplicates.Count}. 500s: {samples.Count(s => s.Status == 500)}. Unexpected answers: {load.Unexpected.Count}.");
        text.AppendLine("Attempts by kind (status: count):");
        foreach (var kind in samples.GroupBy(s => s.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.AppendLine(inv, $"  {kind.Key}: {string.Join(", ", kind.GroupBy(s => s.Status).OrderBy(g => g.Key).Select(g => $"{(g.Key == 0 ? "no answer" : g.Key.ToString(inv))}: {g.Count()}"))}");
        }

        foreach (var line in check.Lost.Concat(check.Stuck).Concat(check.Duplicates).Concat(load.Unexpected).Take(20))
        {
            text.AppendLine(inv, $"  ! {line}");
        }

        return text.ToString();
    }

    private static int Setting(string name, int fallback)
        => int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}
