using System.Net.Mail;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Text;

namespace Library.Patron.Domain.Patrons;

/// <summary>A first or last name of 1–100 characters after trimming and collapsing whitespace.</summary>
public sealed record PersonName
{
    public const int MaxLength = 100;

    private PersonName(string value) => Value = value;

    public string Value { get; }

    public static Result<PersonName> Create(string? raw, string field)
    {
        var value = TextNormalizer.Normalize(raw);
        return string.IsNullOrEmpty(value) || value.Length > MaxLength
            ? Result<PersonName>.Failure("patron.name_invalid", $"{field} is required and must be 1–{MaxLength} characters.")
            : new PersonName(value);
    }
}

/// <summary>An e-mail address, trimmed and lower-cased, at most 254 characters (SPEC §2).</summary>
public sealed record EmailAddress
{
    public const int MaxLength = 254;

    private EmailAddress(string value) => Value = value;

    public string Value { get; }

    public static Result<EmailAddress> Create(string? raw)
    {
        var value = raw?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength || value.Any(char.IsWhiteSpace)
            || !MailAddress.TryCreate(value, out var parsed) || parsed.Address != value || !parsed.Host.Contains('.', StringComparison.Ordinal))
        {
            return Result<EmailAddress>.Failure("patron.email_invalid", "email must be a valid address of at most 254 characters.");
        }

        return new EmailAddress(value);
    }
}

/// <summary>Why a patron is suspended: 1–500 characters, required to suspend.</summary>
public sealed record SuspensionReason
{
    public const int MaxLength = 500;

    private SuspensionReason(string value) => Value = value;

    public string Value { get; }

    public static Result<SuspensionReason> Create(string? raw)
    {
        var value = TextNormalizer.Normalize(raw);
        return string.IsNullOrEmpty(value) || value.Length > MaxLength
            ? Result<SuspensionReason>.Failure("patron.reason_invalid", $"reason is required and must be 1–{MaxLength} characters.")
            : new SuspensionReason(value);
    }
}
