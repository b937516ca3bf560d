using Library.Catalog.Domain.Books;

namespace Library.Catalog.Tests.Domain;

public sealed class BookDetailsTests
{
    [Theory]
    [InlineData("Dune", "Dune")]
    [InlineData("  Dune  ", "Dune")]
    [InlineData("Dune \t\n  Messiah", "Dune Messiah")]
    [InlineData("D", "D")]
    public void Title_IsTrimmedAndItsInnerWhitespaceCollapsed(string raw, string expected)
        => BookTitle.Create(raw).Value.Value.ShouldBe(expected);

    [Fact]
    public void Title_Of200Characters_IsValid()
    {
        var raw = new string('t', 200);

        BookTitle.Create(raw).Value.Value.ShouldBe(raw);
    }

    [Fact]
    public void Title_Of200CharactersAfterTrimming_IsValid()
        => BookTitle.Create("   " + new string('t', 200) + "   ").IsSuccess.ShouldBeTrue();

    [Fact]
    public void Title_WhoseWhitespaceCollapsesTo200Characters_IsValid()
    {
        // 100 + 1 + 99 characters once the run of spaces becomes a single one.
        var raw = new string('t', 100) + "          " + new string('t', 99);

        BookTitle.Create(raw).Value.Value.Length.ShouldBe(200);
    }

    [Fact]
    public void Title_Of201Characters_FailsWithTitleInvalid()
        => BookTitle.Create(new string('t', 201)).Error.ShouldNotBeNull().Code.ShouldBe("book.title_invalid");

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\r\n")]
    [InlineData(null)]
    public void Title_ThatIsEmptyOrWhitespace_FailsWithTitleInvalid(string? raw)
    {
        var result = BookTitle.Create(raw);

        result.IsSuccess.ShouldBeFalse();
        result.Error.ShouldNotBeNull().Code.ShouldBe("book.title_invalid");
    }

    [Theory]
    [InlineData("Frank Herbert", "Frank Herbert")]
    [InlineData("  Frank   Herbert ", "Frank Herbert")]
    [InlineData("Ursula K.\tLe\nGuin", "Ursula K. Le Guin")]
    public void Author_IsTrimmedAndItsInnerWhitespaceCollapsed(string raw, string expected)
        => Author.Create(raw).Value.Value.ShouldBe(expected);

    [Fact]
    public void Author_Of200Characters_IsValid()
    {
        var raw = new string('a', 200);

        Author.Create(raw).Value.Value.ShouldBe(raw);
    }

    [Fact]
    public void Author_Of201Characters_FailsWithAuthorInvalid()
        => Author.Create(new string('a', 201)).Error.ShouldNotBeNull().Code.ShouldBe("book.author_invalid");

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\r\n")]
    [InlineData(null)]
    public void Author_ThatIsEmptyOrWhitespace_FailsWithAuthorInvalid(string? raw)
    {
        var result = Author.Create(raw);

        result.IsSuccess.ShouldBeFalse();
        result.Error.ShouldNotBeNull().Code.ShouldBe("book.author_invalid");
    }

    // Check digits verified by hand: ISBN-13 weights 1,3,1,3,… sum to a multiple of 10;
    // ISBN-10 weights 10,9,…,1 sum to a multiple of 11 (X = 10, only as the last character).
    [Theory]
    [InlineData("978-0-441-17271-9", "9780441172719")]
    [InlineData("9780306406157", "9780306406157")]
    [InlineData("978 0 306 40615 7", "9780306406157")]
    [InlineData("9780306406140", "9780306406140")]
    [InlineData("0-306-40615-2", "0306406152")]
    [InlineData("0306406152", "0306406152")]
    [InlineData("080442957X", "080442957X")]
    [InlineData("080442957x", "080442957X")]
    [InlineData("0 8044 2957 X", "080442957X")]
    [InlineData("0-8044-2957-X", "080442957X")]
    public void Isbn_WithAValidCheckDigit_IsStoredWithoutHyphensOrSpaces(string raw, string expected)
        => Isbn.Create(raw).Value.Value.ShouldBe(expected);

    [Theory]
    [InlineData("9780306406158")] // ISBN-13, check digit should be 7
    [InlineData("978-0-441-17271-8")] // ISBN-13, check digit should be 9
    [InlineData("0306406153")] // ISBN-10, check digit should be 2
    [InlineData("0804429570")] // ISBN-10, check digit should be X
    [InlineData("978030640615")] // 12 digits
    [InlineData("97803064061570")] // 14 digits
    [InlineData("030640615")] // 9 digits
    [InlineData("03064061522")] // 11 digits
    [InlineData("")]
    [InlineData(" - - ")]
    [InlineData("978030640615A")] // letters
    [InlineData("ISBN0306406152")]
    [InlineData("03064O6152")] // letter O instead of zero
    [InlineData("X306406151")] // X first: the weighted sum would be a multiple of 11 if X counted as 10
    [InlineData("030X406157")] // X inside: likewise
    [InlineData("978030640614X")] // ISBN-13 never has X, even where 10 would make the sum right
    [InlineData("0306406152X")] // a valid ISBN-10 followed by X
    [InlineData("0_306_40615_2")] // only hyphens and spaces are ignored
    [InlineData("٠٣٠٦٤٠٦١٥٢")] // non-ASCII (Arabic-Indic) digits
    public void Isbn_ThatIsNotAValidIsbn10OrIsbn13_FailsWithIsbnInvalid(string raw)
    {
        var result = Isbn.Create(raw);

        result.IsSuccess.ShouldBeFalse();
        result.Error.ShouldNotBeNull().Code.ShouldBe("book.isbn_invalid");
    }

    [Fact]
    public void Isbn_WithManySeparators_IsJudgedOnItsDigitsAlone()
        => Isbn.Create("9-7-8-0-3-0-6-4-0-6-1-5-7---   ").Value.Value.ShouldBe("9780306406157");
}
