using System.Globalization;
using Library.Patron.Domain.Patrons;

namespace Library.Patron.Tests.Domain;

public sealed class PatronIdTests
{
    [Fact]
    public void New_IsAUuidVersion7()
        => PatronId.New().Value.Version.ShouldBe(7);

    [Fact]
    public void New_CarriesTheCurrentTimeInItsTimestamp()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var id = PatronId.New();
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        TimestampOf(id).ShouldBeInRange(before, after);
    }

    [Fact]
    public void New_CreatedInALaterMillisecond_ComparesGreater()
    {
        // UUIDv7 orders by its millisecond timestamp; within one millisecond the order is random,
        // so wait (with a deadline) for the clock to move on before creating the second id.
        var first = PatronId.New();
        WaitUntilClockPasses(TimestampOf(first));
        var second = PatronId.New();

        second.CompareTo(first).ShouldBePositive();
        first.CompareTo(second).ShouldBeNegative();
        (second > first).ShouldBeTrue();
        (second >= first).ShouldBeTrue();
        (first < second).ShouldBeTrue();
        (first <= second).ShouldBeTrue();
        (first > second).ShouldBeFalse();
    }

    [Theory]
    [InlineData("7fffffff-ffff-7fff-bfff-ffffffffffff", "80000000-0000-7000-8000-000000000000")]
    [InlineData("00000000-7fff-7000-8000-000000000000", "00000000-8000-7000-8000-000000000000")]
    [InlineData("00000000-0000-7fff-8000-000000000000", "00000000-0000-8000-8000-000000000000")]
    [InlineData("00000000-0000-7000-7fff-ffffffffffff", "00000000-0000-7000-8000-000000000000")]
    [InlineData("00000000-0000-7000-8000-00000000007f", "00000000-0000-7000-8000-000000000080")]
    public void CompareTo_OrdersLikeTheCanonicalTextForm(string smaller, string larger)
    {
        // PostgreSQL orders uuid by its bytes as written, so keyset pages agree with CompareTo only if no part compares as signed.
        var low = new PatronId(Guid.Parse(smaller));
        var high = new PatronId(Guid.Parse(larger));

        low.CompareTo(high).ShouldBeNegative();
        high.CompareTo(low).ShouldBePositive();
        (low < high).ShouldBeTrue();
    }

    [Fact]
    public void CompareTo_OfEqualIds_IsZero()
    {
        var id = PatronId.New();
        var same = new PatronId(id.Value);

        id.CompareTo(same).ShouldBe(0);
        (id <= same).ShouldBeTrue();
        (id >= same).ShouldBeTrue();
        id.ShouldBe(same);
    }

    [Fact]
    public void TryParse_OfTheCanonicalForm_ReturnsTheId()
    {
        var id = PatronId.New();

        PatronId.TryParse(id.ToString(), out var parsed).ShouldBeTrue();
        parsed.ShouldBe(id);
    }

    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000000")] // empty guid
    [InlineData("not-a-guid")]
    [InlineData("0190f5a4-7c8e-7d3a-9b1e-2f4c6a8e0b1")] // one digit short
    [InlineData("{0190f5a4-7c8e-7d3a-9b1e-2f4c6a8e0b1d}")] // braces
    [InlineData("(0190f5a4-7c8e-7d3a-9b1e-2f4c6a8e0b1d)")] // parentheses
    [InlineData("0190f5a47c8e7d3a9b1e2f4c6a8e0b1d")] // no hyphens
    [InlineData("")]
    [InlineData(null)]
    public void TryParse_OfAnythingButANonEmptyCanonicalGuid_Fails(string? raw)
        => PatronId.TryParse(raw, out _).ShouldBeFalse();

    [Fact]
    public void ToString_IsTheCanonicalGuidForm()
    {
        var id = PatronId.New();

        id.ToString().ShouldBe(id.Value.ToString("D"));
    }

    private static long TimestampOf(PatronId id)
        => long.Parse(id.Value.ToString("N")[..12], NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static void WaitUntilClockPasses(long unixMilliseconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() <= unixMilliseconds)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The system clock did not advance past the first id's millisecond.");
            }

            Thread.Yield();
        }
    }
}
