using System.Text;

namespace Library.LoadTool;

/// <summary>Which id pools a template draws from.</summary>
[Flags]
internal enum IdPoolKind
{
    None = 0,
    Book = 1,
    Patron = 2,
    Loan = 4,
}

/// <summary>Ids that <c>{bookId}</c>, <c>{patronId}</c> and <c>{loanId}</c> are drawn from. Read-only during the run.</summary>
internal sealed class IdPools
{
    public string[] Books { get; set; } = [];

    public string[] Patrons { get; set; } = [];

    public string[] Loans { get; set; } = [];

    public string[] Get(IdPoolKind kind) => kind switch
    {
        IdPoolKind.Book => Books,
        IdPoolKind.Patron => Patrons,
        IdPoolKind.Loan => Loans,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

/// <summary>
/// A string with <c>{uuid}</c>, <c>{rand}</c>, <c>{bookId}</c>, <c>{patronId}</c>, <c>{loanId}</c> placeholders,
/// parsed once. A template without placeholders exposes <see cref="Constant"/> so callers can cache what they
/// build from it. Any other <c>{word}</c> is rejected, so a typo fails at start-up, not as 404s. Braces that are
/// not followed by a word and '}' (JSON objects) are literal text.
/// </summary>
internal sealed class Template
{
    private enum PartKind
    {
        Literal,
        Uuid,
        Rand,
        BookId,
        PatronId,
        LoanId,
    }

    private readonly record struct Part(PartKind Kind, string Text);

    [ThreadStatic]
    private static StringBuilder? t_builder;

    private readonly Part[] _parts;

    private Template(string source, Part[] parts, IdPoolKind pools)
    {
        Source = source;
        _parts = parts;
        RequiredPools = pools;
        Constant = parts.Length == 0 ? string.Empty : parts.Length == 1 && parts[0].Kind == PartKind.Literal ? parts[0].Text : null;
    }

    public string Source { get; }

    /// <summary>The expanded text when the template has no placeholders; otherwise null.</summary>
    public string? Constant { get; }

    public IdPoolKind RequiredPools { get; }

    public static Template Parse(string text)
    {
        var parts = new List<Part>();
        var literal = new StringBuilder();
        var pools = IdPoolKind.None;
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '{')
            {
                int close = i + 1;
                while (close < text.Length && (char.IsAsciiLetterOrDigit(text[close]) || text[close] == '_'))
                {
                    close++;
                }

                if (close < text.Length && text[close] == '}' && close > i + 1)
                {
                    string name = text.Substring(i + 1, close - i - 1);
                    PartKind kind = name.ToUpperInvariant() switch
                    {
                        "UUID" => PartKind.Uuid,
                        "RAND" => PartKind.Rand,
                        "BOOKID" => PartKind.BookId,
                        "PATRONID" => PartKind.PatronId,
                        "LOANID" => PartKind.LoanId,
                        _ => throw new UsageException(
                            $"unknown placeholder '{{{name}}}' in '{text}' (known: {{uuid}} {{rand}} {{bookId}} {{patronId}} {{loanId}})"),
                    };
                    pools |= kind switch
                    {
                        PartKind.BookId => IdPoolKind.Book,
                        PartKind.PatronId => IdPoolKind.Patron,
                        PartKind.LoanId => IdPoolKind.Loan,
                        _ => IdPoolKind.None,
                    };
                    if (literal.Length > 0)
                    {
                        parts.Add(new Part(PartKind.Literal, literal.ToString()));
                        literal.Clear();
                    }

                    parts.Add(new Part(kind, string.Empty));
                    i = close + 1;
                    continue;
                }
            }

            literal.Append(c);
            i++;
        }

        if (literal.Length > 0)
        {
            parts.Add(new Part(PartKind.Literal, literal.ToString()));
        }

        return new Template(text, [.. parts], pools);
    }

    /// <summary>Expands the template. Uses a per-thread builder; the only allocation is the result string.</summary>
    public string Expand(IdPools pools)
    {
        if (Constant is not null)
        {
            return Constant;
        }

        var sb = t_builder ??= new StringBuilder(256);
        sb.Clear();
        foreach (var part in _parts)
        {
            switch (part.Kind)
            {
                case PartKind.Literal:
                    sb.Append(part.Text);
                    break;
                case PartKind.Uuid:
                    AppendGuid(sb);
                    break;
                case PartKind.Rand:
                    sb.Append(Random.Shared.Next());
                    break;
                case PartKind.BookId:
                    sb.Append(Pick(pools.Books));
                    break;
                case PartKind.PatronId:
                    sb.Append(Pick(pools.Patrons));
                    break;
                case PartKind.LoanId:
                    sb.Append(Pick(pools.Loans));
                    break;
            }
        }

        return sb.ToString();
    }

    private static void AppendGuid(StringBuilder sb)
    {
        Span<char> buffer = stackalloc char[36];
        Guid.NewGuid().TryFormat(buffer, out int written, "D");
        sb.Append(buffer[..written]);
    }

    // Entries whose pools are empty are disabled before the run, so an empty pool is never drawn from.
    private static string Pick(string[] pool) => pool[Random.Shared.Next(pool.Length)];
}
