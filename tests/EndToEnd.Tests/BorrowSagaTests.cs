using Library.Testing;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Library.EndToEnd.Tests;

/// <summary>The borrow saga of SPEC §3 through the gateway: Catalog → Lending → Catalog over RabbitMQ.</summary>
public sealed class BorrowSagaTests(LibrarySystem system)
{
    private readonly HttpClient _gateway = system.Gateway;

    [Fact]
    public async Task Borrow_OfAnAvailableBook_EndsBorrowedWithAnActiveLoan()
    {
        var patron = await _gateway.RegisterPatronIdAsync();
        var book = await _gateway.AddBookIdAsync();

        using var response = await _gateway.BorrowAsync(book, patron);

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        response.Headers.Location!.ToString().ShouldStartWith("/borrow-operations/");
        (await response.ReadObjectAsync())["status"]!.GetValue<string>().ShouldBe("reserved");
        var operation = await _gateway.WaitForOperationAsync(response.Headers.Location!.ToString(), "borrowed");
        var loan = await _gateway.GetFromJsonAsync<JsonObject>($"/loans/{operation["loanId"]}");
        loan!["status"]!.GetValue<string>().ShouldBe("active");
        loan["bookId"]!.GetValue<string>().ShouldBe(book);
        loan["patronId"]!.GetValue<string>().ShouldBe(patron);
        (await _gateway.WaitForBookStatusAsync(book, "borrowed"))["status"]!.GetValue<string>().ShouldBe("borrowed");
    }

    [Theory]
    [InlineData("regular", 14)]
    [InlineData("premium", 21)]
    [InlineData("researcher", 30)]
    public async Task Loan_RunsForTheTiersLoanPeriod(string tier, int days)
    {
        var patron = await _gateway.RegisterPatronIdAsync(tier);
        var operation = await _gateway.BorrowAndWaitAsync(await _gateway.AddBookIdAsync(), patron, "borrowed");

        var loan = await _gateway.GetFromJsonAsync<JsonObject>($"/loans/{operation["loanId"]}");
        var borrowedAt = DateTimeOffset.Parse(loan!["borrowedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var dueDate = DateTimeOffset.Parse(loan["dueDate"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        (dueDate - borrowedAt).ShouldBe(TimeSpan.FromDays(days));
    }

    [Fact]
    public async Task Borrow_PastTheLimit_IsReleasedWithAReasonAndTheBookIsAvailableAgain()
    {
        var patron = await _gateway.RegisterPatronIdAsync();
        for (var i = 0; i < 5; i++)
        {
            await _gateway.BorrowAndWaitAsync(await _gateway.AddBookIdAsync(), patron, "borrowed");
        }

        var sixth = await _gateway.AddBookIdAsync();
        var released = await _gateway.BorrowAndWaitAsync(sixth, patron, "released");

        released["failureReason"]!.GetValue<string>().ShouldBe("borrowing limit of 5 reached");
        released["loanId"].ShouldBeNull();
        (await _gateway.WaitForBookStatusAsync(sixth, "available"))["status"]!.GetValue<string>().ShouldBe("available");
    }

    [Fact]
    public async Task ASuspension_StopsTheBorrowsOfAPatronWhoseEligibilityCatalogRemembers_OnceItsEventArrives()
    {
        // The first borrow leaves Patron's answer in Catalog's cache (decision 0018; 30 s by default).
        var patron = await _gateway.RegisterPatronIdAsync();
        await _gateway.BorrowAndWaitAsync(await _gateway.AddBookIdAsync(), patron, "borrowed");
        using (var suspended = await _gateway.PostAsync($"/patrons/{patron}/suspend", Json.Body("""{"reason":"Unpaid fines"}""")))
        {
            suspended.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        // Patron's PatronSuspended event reaches Catalog in milliseconds and drops the cached answer; until then a
        // borrow may still be accepted (and is decided by Lending). Well before the cache's own expiry, it is a 403.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var accepted = 0;
        HttpStatusCode status;
        do
        {
            using var response = await _gateway.BorrowAsync(await _gateway.AddBookIdAsync(), patron);
            status = response.StatusCode;
            if (status == HttpStatusCode.Forbidden)
            {
                (await response.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe("patron.suspended");
                break;
            }

            status.ShouldBe(HttpStatusCode.Accepted);
            accepted++;
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);

        status.ShouldBe(HttpStatusCode.Forbidden, $"the suspension reached Catalog within 10 s ({accepted} borrows accepted before it did)");
    }

    [Fact]
    public async Task Borrow_ByASuspendedPatron_Is403AtOnce()
    {
        var patron = await _gateway.RegisterPatronIdAsync();
        using (await _gateway.PostAsync($"/patrons/{patron}/suspend", Json.Body("""{"reason":"Unpaid fines"}""")))
        {
        }

        var book = await _gateway.AddBookIdAsync();
        using var response = await _gateway.BorrowAsync(book, patron);

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await response.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe("patron.suspended");
        (await _gateway.GetFromJsonAsync<JsonObject>($"/books/{book}"))!["status"]!.GetValue<string>().ShouldBe("available");
    }

    [Fact]
    public async Task Borrow_ByAnUnknownPatron_Is403()
    {
        using var response = await _gateway.BorrowAsync(await _gateway.AddBookIdAsync(), Guid.CreateVersion7().ToString());

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await response.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe("patron.unknown");
    }

    [Fact]
    public async Task Borrow_OfAnUnknownBook_Is404()
    {
        using var response = await _gateway.BorrowAsync(Guid.CreateVersion7().ToString(), await _gateway.RegisterPatronIdAsync());

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await response.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe("book.not_found");
    }

    [Fact]
    public async Task Borrow_OfABookThatIsTaken_Is409()
    {
        var book = await _gateway.AddBookIdAsync();
        await _gateway.BorrowAndWaitAsync(book, await _gateway.RegisterPatronIdAsync(), "borrowed");

        using var response = await _gateway.BorrowAsync(book, await _gateway.RegisterPatronIdAsync());

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await response.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe("book.unavailable");
    }

    [Fact]
    public async Task Borrow_WithoutAnIdempotencyKey_Is400()
    {
        using var response = await _gateway.PostAsync($"/books/{await _gateway.AddBookIdAsync()}/borrow", Json.Body($$"""{"patronId":"{{await _gateway.RegisterPatronIdAsync()}}"}"""));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.ReadObjectAsync())["code"]!.GetValue<string>().ShouldBe("idempotency.key_required");
    }

    [Fact]
    public async Task CreateLoan_StartsTheSameSaga()
    {
        var patron = await _gateway.RegisterPatronIdAsync();
        var book = await _gateway.AddBookIdAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/loans") { Content = JsonContent.Create(new { bookId = book, patronId = patron }) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var response = await _gateway.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await _gateway.WaitForOperationAsync(response.Headers.Location!.ToString(), "borrowed");
    }

    [Fact]
    public async Task Return_Twice_AnswersTheFirstReturnAndTheBookCanBeBorrowedAgain()
    {
        var book = await _gateway.AddBookIdAsync();
        var first = await _gateway.BorrowAndWaitAsync(book, await _gateway.RegisterPatronIdAsync(), "borrowed");
        var loanId = first["loanId"]!.GetValue<string>();

        var returned = await _gateway.PostWithKeyAsync($"/loans/{loanId}/return", "{}");
        var again = await _gateway.PostWithKeyAsync($"/loans/{loanId}/return", "{}");

        returned.Status.ShouldBe(HttpStatusCode.OK);
        again.Status.ShouldBe(HttpStatusCode.OK);
        again.Body["returnedAt"]!.GetValue<string>().ShouldBe(returned.Body["returnedAt"]!.GetValue<string>());
        returned.Body["wasOverdue"]!.GetValue<bool>().ShouldBeFalse();
        await _gateway.WaitForOperationAsync($"/borrow-operations/{first["id"]}", "returned");
        (await _gateway.WaitForBookStatusAsync(book, "available"))["status"]!.GetValue<string>().ShouldBe("available");

        await _gateway.BorrowAndWaitAsync(book, await _gateway.RegisterPatronIdAsync(), "borrowed");
    }

    [Fact]
    public async Task ReturnBook_ReturnsItsOutstandingLoan()
    {
        var book = await _gateway.AddBookIdAsync();
        var operation = await _gateway.BorrowAndWaitAsync(book, await _gateway.RegisterPatronIdAsync(), "borrowed");

        var returned = await _gateway.PostWithKeyAsync($"/books/{book}/return", "{}");

        returned.Status.ShouldBe(HttpStatusCode.OK);
        returned.Body["id"]!.GetValue<string>().ShouldBe(operation["loanId"]!.GetValue<string>());
        await _gateway.WaitForOperationAsync($"/borrow-operations/{operation["id"]}", "returned");
        (await _gateway.PostWithKeyAsync($"/books/{book}/return", "{}")).Body["code"]!.GetValue<string>().ShouldBe("book.not_on_loan");
    }

    [Fact]
    public async Task Extend_FollowsTheRules()
    {
        var operation = await _gateway.BorrowAndWaitAsync(await _gateway.AddBookIdAsync(), await _gateway.RegisterPatronIdAsync(), "borrowed");
        var loanId = operation["loanId"]!.GetValue<string>();
        var loan = await _gateway.GetFromJsonAsync<JsonObject>($"/loans/{loanId}");
        var due = DateTimeOffset.Parse(loan!["dueDate"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);

        var extended = await _gateway.PostWithKeyAsync($"/loans/{loanId}/extend", "{}");
        extended.Status.ShouldBe(HttpStatusCode.OK);
        DateTimeOffset.Parse(extended.Body["dueDate"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).ShouldBe(due.AddDays(7));

        (await _gateway.PostWithKeyAsync($"/loans/{loanId}/extend", """{"days":0}""")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await _gateway.PostWithKeyAsync($"/loans/{loanId}/extend", """{"days":366}""")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await _gateway.PostWithKeyAsync($"/loans/{loanId}/extend", """{"days":1}""")).Status.ShouldBe(HttpStatusCode.OK);
        (await _gateway.PostWithKeyAsync($"/loans/{loanId}/extend", """{"days":1}""")).Status.ShouldBe(HttpStatusCode.OK);
        var fourth = await _gateway.PostWithKeyAsync($"/loans/{loanId}/extend", """{"days":1}""");
        fourth.Status.ShouldBe(HttpStatusCode.Conflict);
        fourth.Body["code"]!.GetValue<string>().ShouldBe("loan.extension_limit_reached");

        await _gateway.PostWithKeyAsync($"/loans/{loanId}/return", "{}");
        (await _gateway.PostWithKeyAsync($"/loans/{loanId}/extend", "{}")).Body["code"]!.GetValue<string>().ShouldBe("loan.not_active");
    }

    [Fact]
    public async Task TwoHundredConcurrentBorrowsOfOneBook_MakeExactlyOneLoan()
    {
        var book = await _gateway.AddBookIdAsync();
        var patron = await _gateway.RegisterPatronIdAsync("researcher");

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => _gateway.BorrowAsync(book, patron)));

        var statuses = responses.Select(r => r.StatusCode).ToList();
        statuses.Count(s => s == HttpStatusCode.Accepted).ShouldBe(1);
        statuses.Count(s => s == HttpStatusCode.Conflict).ShouldBe(199);
        var winner = responses.Single(r => r.StatusCode == HttpStatusCode.Accepted).Headers.Location!.ToString();
        foreach (var response in responses)
        {
            response.Dispose();
        }

        await _gateway.WaitForOperationAsync(winner, "borrowed");
        var loans = await _gateway.GetFromJsonAsync<JsonObject>($"/loans?patronId={patron}&limit=100");
        loans!["items"]!.AsArray().Count(l => l!["bookId"]!.GetValue<string>() == book).ShouldBe(1);
    }

    [Fact]
    public async Task ARegularPatronBorrowingTwentyBooksAtOnce_GetsExactlyFive()
    {
        var patron = await _gateway.RegisterPatronIdAsync();
        var books = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            books.Add(await _gateway.AddBookIdAsync());
        }

        var responses = await Task.WhenAll(books.Select(b => _gateway.BorrowAsync(b, patron)));
        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Accepted);
        var operations = responses.Select(r => r.Headers.Location!.ToString()).ToList();
        foreach (var response in responses)
        {
            response.Dispose();
        }

        var outcomes = await Task.WhenAll(operations.Select(o => _gateway.WaitForOperationAsync(o, "borrowed", "released")));

        outcomes.Count(o => o["status"]!.GetValue<string>() == "borrowed").ShouldBe(5);
        outcomes.Where(o => o["status"]!.GetValue<string>() == "released").ShouldAllBe(o => o["failureReason"]!.GetValue<string>() == "borrowing limit of 5 reached");
        var loans = await _gateway.GetFromJsonAsync<JsonObject>($"/loans?patronId={patron}&status=active");
        loans!["items"]!.AsArray().Count.ShouldBe(5);
    }
}
