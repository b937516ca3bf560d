using Library.Lending.Domain.Borrowers;

namespace Library.Lending.Tests.Domain;

public sealed class BorrowerTests
{
    private static readonly Guid s_patronId = Guid.CreateVersion7();

    [Fact]
    public void From_KeepsThePatronsView()
    {
        var borrower = Borrower.From(s_patronId, "ada@example.com", "premium", suspended: true, version: 4);

        View.Of(borrower).ShouldBe(new View(s_patronId, "ada@example.com", "premium", true, 4));
    }

    [Fact]
    public void Apply_NewerVersion_ReplacesTheView()
    {
        var borrower = Borrower.From(s_patronId, "ada@example.com", "regular", suspended: false, version: 2);

        borrower.Apply("lovelace@example.com", "researcher", suspended: true, version: 3).ShouldBeTrue();

        View.Of(borrower).ShouldBe(new View(s_patronId, "lovelace@example.com", "researcher", true, 3));
    }

    [Fact]
    public void Apply_NewerVersionThatReinstates_LiftsTheSuspension()
    {
        var borrower = Borrower.From(s_patronId, "ada@example.com", "regular", suspended: true, version: 2);

        borrower.Apply("ada@example.com", "regular", suspended: false, version: 5).ShouldBeTrue();

        borrower.Suspended.ShouldBeFalse();
        borrower.Version.ShouldBe(5);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    [InlineData(0)]
    public void Apply_SameOrOlderVersion_ChangesNothing(int version)
    {
        var borrower = Borrower.From(s_patronId, "ada@example.com", "premium", suspended: false, version: 2);
        var before = View.Of(borrower);

        borrower.Apply("stale@example.com", "regular", suspended: true, version).ShouldBeFalse();

        View.Of(borrower).ShouldBe(before);
    }

    [Fact]
    public void Apply_OutOfOrder_EndsWithTheNewestView()
    {
        var borrower = Borrower.From(s_patronId, "ada@example.com", "regular", suspended: false, version: 1);

        borrower.Apply("ada@example.com", "researcher", suspended: true, version: 3).ShouldBeTrue();
        borrower.Apply("ada@example.com", "premium", suspended: false, version: 2).ShouldBeFalse();

        View.Of(borrower).ShouldBe(new View(s_patronId, "ada@example.com", "researcher", true, 3));
    }

    private sealed record View(Guid PatronId, string Email, string MembershipTier, bool Suspended, int Version)
    {
        public static View Of(Borrower borrower)
            => new(borrower.PatronId, borrower.Email, borrower.MembershipTier, borrower.Suspended, borrower.Version);
    }
}
