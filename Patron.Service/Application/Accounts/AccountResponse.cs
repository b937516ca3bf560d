using Library.Patron.Domain.Accounts;

namespace Library.Patron.Application.Accounts;

/// <summary>A staff account as <c>POST /staff</c> answers it; never the hash.</summary>
public sealed record AccountResponse(Guid Id, string Email, string Role, string FirstName, string LastName, DateTimeOffset CreatedAt)
{
    public static AccountResponse From(Account account)
    {
        ArgumentNullException.ThrowIfNull(account);
        return new AccountResponse(account.Id.Value, account.Email, account.Role, account.FirstName, account.LastName, account.CreatedAt);
    }
}
