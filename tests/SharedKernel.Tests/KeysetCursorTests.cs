using Library.SharedKernel.Http;
using Library.SharedKernel.Pagination;

namespace Library.SharedKernel.Tests;

public sealed class KeysetCursorTests
{
    private static readonly string s_books = KeysetCursor.Fingerprint("books", "dune", null, null);

    [Fact]
    public void Cursor_RoundTripsTheLastIdForTheSameQuery()
    {
        var id = Guid.CreateVersion7();
        var cursor = KeysetCursor.Encode(id, s_books);

        KeysetCursor.TryDecode(cursor, s_books, out var decoded).ShouldBeTrue();
        decoded.ShouldBe(id);
    }

    [Fact]
    public void Cursor_FromAnotherQuery_IsRefused()
    {
        var cursor = KeysetCursor.Encode(Guid.CreateVersion7(), s_books);
        var otherQuery = KeysetCursor.Fingerprint("books", "dune", "herbert", null);

        KeysetCursor.TryDecode(cursor, otherQuery, out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData("not-a-cursor")]
    [InlineData("!!!!")]
    [InlineData("")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Cursor_ThatIsNotOurs_IsRefused(string cursor)
        => KeysetCursor.TryDecode(cursor, s_books, out _).ShouldBeFalse();

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    [InlineData(1000)]
    [InlineData(-5)]
    public void PageRequest_WithLimitOutOfRange_IsAValidationError(int limit)
    {
        var errors = new ValidationErrors();
        PageRequest.Create(limit, null, s_books, errors);

        Should.Throw<ValidationException>(errors.ThrowIfAny).Errors.ShouldContainKey("limit");
    }

    [Fact]
    public void PageRequest_WithoutLimit_DefaultsToTwenty()
    {
        var errors = new ValidationErrors();
        PageRequest.Create(null, null, s_books, errors).Limit.ShouldBe(20);
        errors.Any.ShouldBeFalse();
    }

    [Fact]
    public void ToPage_WithOneRowMoreThanTheLimit_ReturnsACursorAfterTheLastItemShown()
    {
        var ids = Enumerable.Range(0, 3).Select(_ => Guid.CreateVersion7()).ToList();
        var page = new PageRequest(2, null, s_books).ToPage(ids, id => id, id => id);

        page.Items.ShouldBe(ids.Take(2));
        KeysetCursor.TryDecode(page.NextCursor!, s_books, out var after).ShouldBeTrue();
        after.ShouldBe(ids[1]);
    }

    [Fact]
    public void ToPage_OnTheLastPage_HasNoCursor()
        => new PageRequest(2, null, s_books).ToPage([Guid.CreateVersion7()], id => id, id => id).NextCursor.ShouldBeNull();
}
