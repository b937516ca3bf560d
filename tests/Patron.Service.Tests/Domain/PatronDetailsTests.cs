using Library.Patron.Domain.Patrons;

namespace Library.Patron.Tests.Domain;

public sealed class PatronDetailsTests
{
    [Theory]
    [InlineData("Ada", "Ada")]
    [InlineData("  Ada  ", "Ada")]
    [InlineData("Ada \t\n  Augusta", "Ada Augusta")]
    [InlineData("A", "A")]
    public void Name_IsTrimmedAndItsInnerWhitespaceCollapsed(string raw, string expected)
        => PersonName.Create(raw, "firstName").Value.Value.ShouldBe(expected);

    [Fact]
    public void Name_Of100Characters_IsValid()
    {
        var raw = new string('n', 100);

        PersonName.Create(raw, "firstName").Value.Value.ShouldBe(raw);
    }

    [Fact]
    public void Name_Of100CharactersAfterTrimming_IsValid()
        => PersonName.Create("   " + new string('n', 100) + "\t", "lastName").IsSuccess.ShouldBeTrue();

    [Fact]
    public void Name_WhoseWhitespaceCollapsesTo100Characters_IsValid()
    {
        // 50 + 1 + 49 characters once the run of spaces becomes a single one.
        var raw = new string('n', 50) + "          " + new string('n', 49);

        PersonName.Create(raw, "lastName").Value.Value.Length.ShouldBe(100);
    }

    [Fact]
    public void Name_Of101Characters_FailsWithNameInvalid()
        => PersonName.Create(new string('n', 101), "firstName").Error.ShouldNotBeNull().Code.ShouldBe("patron.name_invalid");

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\r\n")]
    [InlineData(null)]
    public void Name_ThatIsEmptyOrWhitespace_FailsWithNameInvalid(string? raw)
    {
        var result = PersonName.Create(raw, "firstName");

        result.IsSuccess.ShouldBeFalse();
        result.Error.ShouldNotBeNull().Code.ShouldBe("patron.name_invalid");
    }

    [Theory]
    [InlineData("firstName")]
    [InlineData("lastName")]
    public void Name_ThatIsInvalid_NamesTheFieldInItsMessage(string field)
        => PersonName.Create("", field).Error.ShouldNotBeNull().Message.ShouldStartWith(field + " ");

    [Theory]
    [InlineData("  Ada@Example.COM ", "ada@example.com")]
    [InlineData("ada@example.com", "ada@example.com")]
    [InlineData("\tADA.LOVELACE+Books@Mail.Example.CO.UK\n", "ada.lovelace+books@mail.example.co.uk")]
    public void Email_IsTrimmedAndLowerCased(string raw, string expected)
        => EmailAddress.Create(raw).Value.Value.ShouldBe(expected);

    [Fact]
    public void Email_Of254Characters_IsValid()
    {
        var raw = EmailOfLength(254);

        EmailAddress.Create(raw).Value.Value.ShouldBe(raw);
    }

    [Fact]
    public void Email_Of254CharactersAfterTrimming_IsValid()
        => EmailAddress.Create("  " + EmailOfLength(254) + " ").IsSuccess.ShouldBeTrue();

    [Fact]
    public void Email_Of255Characters_FailsWithEmailInvalid()
        => EmailAddress.Create(EmailOfLength(255)).Error.ShouldNotBeNull().Code.ShouldBe("patron.email_invalid");

    [Theory]
    [InlineData("ada")] // no @
    [InlineData("ada.example.com")] // no @
    [InlineData("a@b@example.com")] // two @
    [InlineData("ada@@example.com")] // two @ in a row
    [InlineData("ada@")] // no host
    [InlineData("@example.com")] // no local part
    [InlineData("ada lovelace@example.com")] // space in the local part
    [InlineData("ada@exa mple.com")] // space in the host
    [InlineData("ada\t@example.com")] // tab inside
    [InlineData("ada\u00A0@example.com")] // no-break space inside
    [InlineData("a@localhost")] // host without a dot
    [InlineData("ada@localhost")] // host without a dot
    [InlineData("Ada <ada@example.com>")] // display-name form
    [InlineData("Ada<ada@example.com>")] // display-name form without the space
    [InlineData("\"Ada\" <ada@example.com>")] // quoted display name
    [InlineData("<ada@example.com>")] // angle brackets
    [InlineData("ada@example.com (Ada)")] // trailing comment
    [InlineData("ada(Ada)@example.com")] // comment in the local part
    [InlineData("ada@example.com,bob@example.com")] // two addresses
    [InlineData("ada@example..com")] // empty host label
    [InlineData(".ada@example.com")] // local part starting with a dot
    [InlineData("ada..lovelace@example.com")] // two dots in a row
    public void Email_ThatIsNotASingleBareAddress_FailsWithEmailInvalid(string raw)
    {
        var result = EmailAddress.Create(raw);

        result.IsSuccess.ShouldBeFalse();
        result.Error.ShouldNotBeNull().Code.ShouldBe("patron.email_invalid");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\r\n")]
    [InlineData(null)]
    public void Email_ThatIsEmptyOrWhitespace_FailsWithEmailInvalid(string? raw)
    {
        var result = EmailAddress.Create(raw);

        result.IsSuccess.ShouldBeFalse();
        result.Error.ShouldNotBeNull().Code.ShouldBe("patron.email_invalid");
    }

    [Theory]
    [InlineData("Overdue", "Overdue")]
    [InlineData("  Three   books\toverdue\n", "Three books overdue")]
    [InlineData("x", "x")]
    public void Reason_IsTrimmedAndItsInnerWhitespaceCollapsed(string raw, string expected)
        => SuspensionReason.Create(raw).Value.Value.ShouldBe(expected);

    [Fact]
    public void Reason_Of500Characters_IsValid()
    {
        var raw = new string('r', 500);

        SuspensionReason.Create(raw).Value.Value.ShouldBe(raw);
    }

    [Fact]
    public void Reason_WhoseWhitespaceCollapsesTo500Characters_IsValid()
    {
        // 250 + 1 + 249 characters once the run of whitespace becomes a single space.
        var raw = new string('r', 250) + " \t \n " + new string('r', 249);

        SuspensionReason.Create(raw).Value.Value.Length.ShouldBe(500);
    }

    [Fact]
    public void Reason_Of501Characters_FailsWithReasonInvalid()
        => SuspensionReason.Create(new string('r', 501)).Error.ShouldNotBeNull().Code.ShouldBe("patron.reason_invalid");

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\r\n")]
    [InlineData(null)]
    public void Reason_ThatIsEmptyOrWhitespace_FailsWithReasonInvalid(string? raw)
    {
        var result = SuspensionReason.Create(raw);

        result.IsSuccess.ShouldBeFalse();
        result.Error.ShouldNotBeNull().Code.ShouldBe("patron.reason_invalid");
    }

    /// <summary>A well-formed address of exactly <paramref name="length"/> characters: a 64-character local part and DNS-sized host labels.</summary>
    private static string EmailOfLength(int length)
    {
        var prefix = new string('a', 64) + "@" + new string('b', 63) + "." + new string('c', 63) + ".";
        const string Suffix = ".com";
        var email = prefix + new string('d', length - prefix.Length - Suffix.Length) + Suffix;
        email.Length.ShouldBe(length);
        return email;
    }
}
