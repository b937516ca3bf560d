using System.Text;

namespace Library.SharedKernel.Text;

/// <summary>Trims and collapses inner whitespace, as SPEC §2 requires before any validation.</summary>
public static class TextNormalizer
{
    public static string? Normalize(string? raw)
    {
        if (raw is null)
        {
            return null;
        }

        var span = raw.AsSpan().Trim();
        var needsWork = false;
        for (var i = 0; i < span.Length; i++)
        {
            if (char.IsWhiteSpace(span[i]) && (span[i] != ' ' || (i > 0 && char.IsWhiteSpace(span[i - 1]))))
            {
                needsWork = true;
                break;
            }
        }

        if (!needsWork)
        {
            return span.Length == raw.Length ? raw : span.ToString();
        }

        var builder = new StringBuilder(span.Length);
        var previousWasSpace = false;
        foreach (var c in span)
        {
            if (char.IsWhiteSpace(c))
            {
                if (!previousWasSpace)
                {
                    builder.Append(' ');
                }

                previousWasSpace = true;
            }
            else
            {
                builder.Append(c);
                previousWasSpace = false;
            }
        }

        return builder.ToString();
    }
}
