using Library.SharedKernel.Domain;
using Library.SharedKernel.Text;

namespace Library.Catalog.Domain.Books;

/// <summary>A title of 1–200 characters after trimming and collapsing whitespace.</summary>
public sealed record BookTitle
{
    public const int MaxLength = 200;

    private BookTitle(string value) => Value = value;

    public string Value { get; }

    public static Result<BookTitle> Create(string? raw)
    {
        var value = TextNormalizer.Normalize(raw);
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return Result<BookTitle>.Failure("book.title_invalid", $"title is required and must be 1–{MaxLength} characters.");
        }

        return new BookTitle(value);
    }
}

/// <summary>An author of 1–200 characters after trimming and collapsing whitespace.</summary>
public sealed record Author
{
    public const int MaxLength = 200;

    private Author(string value) => Value = value;

    public string Value { get; }

    public static Result<Author> Create(string? raw)
    {
        var value = TextNormalizer.Normalize(raw);
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return Result<Author>.Failure("book.author_invalid", $"author is required and must be 1–{MaxLength} characters.");
        }

        return new Author(value);
    }
}

/// <summary>
/// An ISBN-10 or ISBN-13 with a verified check digit, stored without hyphens or spaces
/// (an ISBN-10 check digit of ten is written as an upper-case X).
/// </summary>
public sealed record Isbn
{
    private Isbn(string value) => Value = value;

    public string Value { get; }

    public static Result<Isbn> Create(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        Span<char> digits = stackalloc char[13];
        var length = 0;
        foreach (var c in raw)
        {
            if (c is '-' or ' ')
            {
                continue;
            }

            if (length == 13)
            {
                return Invalid();
            }

            digits[length++] = char.ToUpperInvariant(c);
        }

        var candidate = digits[..length];
        var valid = length switch
        {
            10 => IsValidIsbn10(candidate),
            13 => IsValidIsbn13(candidate),
            _ => false,
        };
        return valid ? new Isbn(candidate.ToString()) : Invalid();
    }

    private static Result<Isbn> Invalid()
        => Result<Isbn>.Failure("book.isbn_invalid", "isbn must be a valid ISBN-10 or ISBN-13 (hyphens and spaces are ignored).");

    private static bool IsValidIsbn10(ReadOnlySpan<char> s)
    {
        var sum = 0;
        for (var i = 0; i < 10; i++)
        {
            int digit;
            if (char.IsAsciiDigit(s[i]))
            {
                digit = s[i] - '0';
            }
            else if (i == 9 && s[i] == 'X')
            {
                digit = 10;
            }
            else
            {
                return false;
            }

            sum += digit * (10 - i);
        }

        return sum % 11 == 0;
    }

    private static bool IsValidIsbn13(ReadOnlySpan<char> s)
    {
        var sum = 0;
        for (var i = 0; i < 13; i++)
        {
            if (!char.IsAsciiDigit(s[i]))
            {
                return false;
            }

            sum += (s[i] - '0') * (i % 2 == 0 ? 1 : 3);
        }

        return sum % 10 == 0;
    }
}
