using System.Globalization;
using System.Net;
using Library.Lending.Domain.Loans;

namespace Library.Lending.Infrastructure.Notifications;

/// <summary>
/// The four mails of a loan (confirmation, due-soon reminder, overdue notice, return receipt): a text body and
/// an HTML body, every piece of user data HTML-encoded in the latter.
/// </summary>
public static class LoanMails
{
    public static OutgoingMail Confirmation(Loan loan, DateTimeOffset now) => Compose(
        $"loan-created:{loan.Id}", loan, now,
        $"You borrowed \"{loan.BookTitle}\"",
        $"You borrowed \"{loan.BookTitle}\". Please return it by {Day(loan.DueDate)}.",
        $"<p>You borrowed <strong>{Html(loan.BookTitle)}</strong>.</p><p>Please return it by <strong>{Day(loan.DueDate)}</strong>.</p>");

    public static OutgoingMail DueSoon(Loan loan, DateTimeOffset now) => Compose(
        $"due-soon:{loan.Id}:{loan.DueDate.ToUnixTimeSeconds()}", loan, now,
        $"\"{loan.BookTitle}\" is due {Day(loan.DueDate)}",
        $"A reminder: \"{loan.BookTitle}\" is due back on {Day(loan.DueDate)}. You may extend the loan if it is not overdue.",
        $"<p>A reminder: <strong>{Html(loan.BookTitle)}</strong> is due back on <strong>{Day(loan.DueDate)}</strong>.</p><p>You may extend the loan if it is not overdue.</p>");

    public static OutgoingMail Overdue(Loan loan, DateTimeOffset now) => Compose(
        $"loan-overdue:{loan.Id}:{loan.DueDate.ToUnixTimeSeconds()}", loan, now,
        $"\"{loan.BookTitle}\" is overdue",
        $"\"{loan.BookTitle}\" was due on {Day(loan.DueDate)}. Please return it as soon as you can.",
        $"<p><strong>{Html(loan.BookTitle)}</strong> was due on <strong>{Day(loan.DueDate)}</strong>.</p><p>Please return it as soon as you can.</p>");

    public static OutgoingMail ReturnReceipt(Loan loan, DateTimeOffset now) => Compose(
        $"loan-returned:{loan.Id}", loan, now,
        $"Returned: \"{loan.BookTitle}\"",
        $"Thank you: \"{loan.BookTitle}\" was returned on {Day(loan.ReturnedAt ?? now)}{(loan.WasOverdue == true ? ", after its due date" : string.Empty)}.",
        $"<p>Thank you: <strong>{Html(loan.BookTitle)}</strong> was returned on <strong>{Day(loan.ReturnedAt ?? now)}</strong>{(loan.WasOverdue == true ? ", after its due date" : string.Empty)}.</p>");

    private static OutgoingMail Compose(string key, Loan loan, DateTimeOffset now, string subject, string text, string html) => new()
    {
        Id = Guid.CreateVersion7(),
        Key = key,
        To = loan.PatronEmail,
        Subject = subject.Length > 200 ? subject[..197] + "..." : subject,
        Text = text,
        Html = $"<!doctype html><html><body>{html}<p>Your library</p></body></html>",
        CreatedAt = now,
        NextAttemptAt = now,
        TraceParent = System.Diagnostics.Activity.Current?.Id,
    };

    private static string Html(string value) => WebUtility.HtmlEncode(value);

    private static string Day(DateTimeOffset value) => value.UtcDateTime.ToString("dddd d MMMM yyyy", CultureInfo.InvariantCulture);
}
