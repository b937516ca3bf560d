using Library.SharedKernel.Resources;
using Library.Testing;

namespace Library.EndToEnd.Tests;

/// <summary>
/// SPEC §6 telemetry: one borrow is one trace, from the Gateway through Catalog, the Patron call, the outbox relay
/// and the broker, Lending's consumer, back to Catalog's consumer, and the confirmation mail (written with the loan,
/// decision 0013). Checked on what the services really exported over OTLP (the test's receiver stands where the
/// dashboard is), not on code.
/// </summary>
public sealed class BorrowTraceTests(LibrarySystem system)
{
    [Fact]
    public async Task ABorrow_IsOneTrace_WhoseSpansChainFromTheGatewayRequestToTheConfirmationMail()
    {
        using var patron = await system.NewPatronAsync();
        var book = await system.Gateway.AddBookIdAsync();
        using var borrow = await patron.Client.BorrowAsync(book, patron.PatronId.ToString()!);
        borrow.StatusCode.ShouldBe(System.Net.HttpStatusCode.Accepted);
        (await patron.Client.WaitForOperationAsync(borrow.Headers.Location!.ToString(), "borrowed"))["status"]!.GetValue<string>().ShouldBe("borrowed");

        // The Gateway's server span of this request is the root; its trace id names the borrow.
        var root = await SpanAsync(s => s.Service == ResourceNames.Gateway && s.Kind == 2 && s.Name.StartsWith("POST", StringComparison.Ordinal)
                                         && s.Attributes.GetValueOrDefault("url.path") == $"/books/{book}/borrow");
        root.ParentSpanId.ShouldBeEmpty("the Gateway starts the trace");

        // Every hop of the saga exports its span into the same trace (exports are batched: poll for the last ones).
        string[] expected =
        [
            $"{ResourceNames.CatalogApi}: catalog.book-reserved.v1 publish",
            $"{ResourceNames.LendingApi}: catalog.book-reserved.v1 process",
            $"{ResourceNames.LendingApi}: lending.loan-created.v1 publish",
            $"{ResourceNames.CatalogApi}: lending.loan-created.v1 process",
            $"{ResourceNames.CatalogApi}: catalog.book-borrowed.v1 publish",
            $"{ResourceNames.LendingApi}: mail send",
        ];
        try
        {
            await Poll.UntilAsync(() => expected.All(e => Trace(root.TraceId).Any(s => $"{s.Service}: {s.Name}" == e)), TimeSpan.FromSeconds(30), "the saga's spans in the borrow's trace");
        }
        catch (TimeoutException)
        {
            var found = Trace(root.TraceId).Select(s => $"{s.Service}: {s.Name} ({s.Scope})");
            var others = system.Telemetry.Spans.Where(s => s.Name.EndsWith(" publish", StringComparison.Ordinal) || s.Name.EndsWith(" process", StringComparison.Ordinal) || s.Name == "mail send")
                .TakeLast(10).Select(s => $"{s.Service}: {s.Name} trace {s.TraceId} parent {s.ParentSpanId}");
            throw new TimeoutException($"Missing: {string.Join("; ", expected.Where(e => !Trace(root.TraceId).Any(s => $"{s.Service}: {s.Name}" == e)))}.\nIn the trace: {string.Join("; ", found)}.\nRecent saga spans elsewhere: {string.Join("; ", others)}");
        }

        var trace = Trace(root.TraceId);

        // The Gateway's request reaches Catalog, and Catalog's eligibility call reaches Patron, inside the trace.
        trace.ShouldContain(s => s.Service == ResourceNames.CatalogApi && s.Kind == 2 && s.Name.StartsWith("POST", StringComparison.Ordinal));
        trace.ShouldContain(s => s.Service == ResourceNames.PatronApi && s.Kind == 2);
        trace.Any(s => s.Service == ResourceNames.CatalogApi && s.Kind == 3 && s.Attributes.ContainsKey("server.address")).ShouldBeTrue("Catalog's call to Patron is a client span of the trace");

        // Parent links chain: every span but the root has its parent in the trace, and each hop follows the one
        // before it (publish → process → publish …) by ancestry, not just by trace id.
        var byId = trace.ToDictionary(s => s.SpanId);
        foreach (var span in trace.Where(s => s != root))
        {
            byId.ContainsKey(span.ParentSpanId).ShouldBeTrue($"the parent of {span.Service}: {span.Name} is in the trace");
        }

        var hops = expected.Select(e => trace.First(s => $"{s.Service}: {s.Name}" == e)).ToList();
        IsDescendant(hops[0], root, byId).ShouldBeTrue("Catalog's publish descends from the Gateway's request");
        for (var i = 1; i < 5; i++)
        {
            IsDescendant(hops[i], hops[i - 1], byId).ShouldBeTrue($"{expected[i]} descends from {expected[i - 1]}");
        }

        IsDescendant(hops[5], hops[1], byId).ShouldBeTrue("the confirmation mail descends from Lending's handling of the reservation, which wrote it");

        trace.Select(s => s.Service).Distinct().ShouldBe([ResourceNames.Gateway, ResourceNames.CatalogApi, ResourceNames.PatronApi, ResourceNames.LendingApi], ignoreOrder: true);
    }

    private List<ReceivedSpan> Trace(string traceId) => [.. system.Telemetry.Spans.Where(s => s.TraceId == traceId)];

    private async Task<ReceivedSpan> SpanAsync(Func<ReceivedSpan, bool> match)
    {
        ReceivedSpan? found = null;
        await Poll.UntilAsync(() => (found = system.Telemetry.Spans.FirstOrDefault(match)) is not null, TimeSpan.FromSeconds(30), "the Gateway's span of the borrow");
        return found!;
    }

    private static bool IsDescendant(ReceivedSpan span, ReceivedSpan ancestor, Dictionary<string, ReceivedSpan> byId)
    {
        for (var current = span; byId.TryGetValue(current.ParentSpanId, out var parent); current = parent)
        {
            if (parent.SpanId == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }
}
