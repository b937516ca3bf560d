using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Library.SharedKernel.Resources;
using Library.Testing;
using Npgsql;

namespace Library.EndToEnd.Tests;

/// <summary>
/// SPEC §6 e-mail through SendGrid's v3 API, captured by the AppHost's mail resource: one confirmation per
/// borrowed loan and none for a released operation, a receipt on return, retries through a provider outage, and
/// a refused mail parked without touching the loan.
/// </summary>
public sealed class MailTests(LibrarySystem system)
{
    private readonly HttpClient _mail = system.App.CreateHttpClient(ResourceNames.Mail);

    [Fact]
    public async Task EachBorrowedLoan_GetsExactlyOneConfirmation_AndAReleasedOperationNone()
    {
        using var patron = await system.NewPatronAsync(); // regular: 5 loans at most
        var titles = new List<string>();
        var statuses = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var title = Json.Unique("Mailed");
            titles.Add(title);
            var book = (await system.Gateway.AddBookAsync(title))["id"]!.GetValue<string>();
            statuses.Add((await system.Gateway.BorrowAndWaitAsync(book, patron.PatronId.ToString()!, "borrowed", "released"))["status"]!.GetValue<string>());
        }

        statuses.ShouldBe(["borrowed", "borrowed", "borrowed", "borrowed", "borrowed", "released"]);
        // The outbox holds one row per loan event, and all five are sent: no second copy can follow.
        await Poll.UntilAsync(async () => (await OutboxAsync(patron.Email)).Count(m => m.Status == "sent") == 5, TimeSpan.FromSeconds(20), "five sent mails");
        (await OutboxAsync(patron.Email)).Select(m => m.Key).ShouldAllBe(k => k.StartsWith("loan-created:", StringComparison.Ordinal));
        var mails = await MailsAsync(patron.Email);
        mails.Count.ShouldBe(5);
        foreach (var title in titles.Take(5))
        {
            mails.Count(m => m["subject"]!.GetValue<string>().Contains(title, StringComparison.Ordinal)).ShouldBe(1, title);
        }

        mails.ShouldNotContain(m => m["subject"]!.GetValue<string>().Contains(titles[5], StringComparison.Ordinal), "the released operation got no mail");
        var first = mails.Last();
        first["text"]!.GetValue<string>().ShouldContain("Please return it by");
        first["html"]!.GetValue<string>().ShouldContain("<strong>");
        first["sentAt"].ShouldNotBeNull();
        first["key"]!.GetValue<string>().ShouldStartWith("loan-created:", Case.Sensitive, "the mail carries its event key for de-duplication");
    }

    [Fact]
    public async Task AReturn_SendsAReceipt_WithTheTitleEscapedInTheHtml()
    {
        using var patron = await system.NewPatronAsync();
        var title = $"<i>{Json.Unique("Escaped")}</i> & more";
        var book = (await system.Gateway.AddBookAsync(title))["id"]!.GetValue<string>();
        var loan = (await system.Gateway.BorrowAndWaitAsync(book, patron.PatronId.ToString()!, "borrowed"))["loanId"]!.GetValue<string>();
        var (status, _) = await patron.Client.PostWithKeyAsync($"/loans/{loan}/return", "{}");
        status.ShouldBe(HttpStatusCode.OK);

        var mails = await WaitForMailsAsync(patron.Email, 2);
        var receipt = mails.Single(m => m["subject"]!.GetValue<string>().StartsWith("Returned:", StringComparison.Ordinal));
        receipt["html"]!.GetValue<string>().ShouldContain("&lt;i&gt;");
        receipt["html"]!.GetValue<string>().ShouldNotContain("<i>");
        receipt["text"]!.GetValue<string>().ShouldContain(title);
    }

    [Fact]
    public async Task AProviderAnswering500ForAWhile_DeliversTheMailOnceItRecovers()
    {
        using var patron = await system.NewPatronAsync();
        (await _mail.PostAsJsonAsync("/failures", new { to = patron.Email, status = 500, count = 3 })).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await system.Gateway.BorrowAndWaitAsync(await system.Gateway.AddBookIdAsync(), patron.PatronId.ToString()!, "borrowed");

        (await WaitForMailsAsync(patron.Email, 1, TimeSpan.FromSeconds(30))).Count.ShouldBe(1);
        var attempts = (await _mail.GetFromJsonAsync<JsonArray>($"/attempts?to={Uri.EscapeDataString(patron.Email)}"))!;
        attempts.Count(a => a!["status"]!.GetValue<int>() == 500).ShouldBe(3);
        attempts.Count(a => a!["status"]!.GetValue<int>() == 202).ShouldBe(1);
    }

    [Fact]
    public async Task AProviderAnswering400_ParksTheMail_AndTheLoanIsUnaffected()
    {
        using var patron = await system.NewPatronAsync();
        (await _mail.PostAsJsonAsync("/failures", new { to = patron.Email, status = 400, count = 100 })).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var operation = await system.Gateway.BorrowAndWaitAsync(await system.Gateway.AddBookIdAsync(), patron.PatronId.ToString()!, "borrowed");
        (await patron.Client.GetAsync($"/loans/{operation["loanId"]}")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Parked is final: the dispatcher only ever picks pending mail, so one attempt is all there will be.
        await Poll.UntilAsync(async () => (await OutboxAsync(patron.Email)) is [{ Status: "parked" }], TimeSpan.FromSeconds(20), "the mail to be parked");
        var parked = (await OutboxAsync(patron.Email)).Single();
        parked.Attempts.ShouldBe(1);
        parked.LastError!.ShouldContain("400");
        (await AttemptsAsync(patron.Email)).ShouldBe(1);
        (await MailsAsync(patron.Email)).ShouldBeEmpty();
    }

    /// <summary>Lending's mail outbox rows for a recipient, read with Lending's own database role.</summary>
    private async Task<List<(string Key, string Status, int Attempts, string? LastError)>> OutboxAsync(string email)
    {
        await using var connection = new NpgsqlConnection(await system.App.GetConnectionStringAsync(ResourceNames.LendingDb));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT key, status, attempts, last_error FROM lending.outgoing_mails WHERE \"to\" = $1", connection) { Parameters = { new() { Value = email } } };
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, int, string?)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        return rows;
    }

    private async Task<int> AttemptsAsync(string email)
        => (await _mail.GetFromJsonAsync<JsonArray>($"/attempts?to={Uri.EscapeDataString(email)}"))!.Count;

    private async Task<List<JsonObject>> MailsAsync(string email)
        => [.. (await _mail.GetFromJsonAsync<JsonArray>($"/messages?to={Uri.EscapeDataString(email)}"))!.Select(m => m!.AsObject())];

    private async Task<List<JsonObject>> WaitForMailsAsync(string email, int count, TimeSpan? within = null)
    {
        List<JsonObject> mails = [];
        await Poll.UntilAsync(async () => (mails = await MailsAsync(email)).Count >= count, within ?? TimeSpan.FromSeconds(20), $"{count} mails to {email}");
        return mails;
    }
}
