using Library.SharedKernel.Text;

namespace Library.SharedKernel.Tests;

public sealed class TextNormalizerTests
{
    [Theory]
    [InlineData("  Dune  ", "Dune")]
    [InlineData("Dune   Messiah", "Dune Messiah")]
    [InlineData("\tDune\n\nMessiah\r\n", "Dune Messiah")]
    [InlineData("Dune", "Dune")]
    [InlineData("   ", "")]
    public void Normalize_TrimsAndCollapsesInnerWhitespace(string raw, string expected)
        => TextNormalizer.Normalize(raw).ShouldBe(expected);

    [Fact]
    public void Normalize_OfNull_IsNull() => TextNormalizer.Normalize(null).ShouldBeNull();
}
