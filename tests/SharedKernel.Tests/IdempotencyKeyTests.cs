using Library.SharedKernel.Idempotency;

namespace Library.SharedKernel.Tests;

public sealed class IdempotencyKeyTests
{
    [Theory]
    [InlineData("abcdefgh")]
    [InlineData("order:2026-11-23_01.a")]
    [InlineData("0190f5a4-7c8e-7d3a-9b1e-2f4c6a8e0b1d")]
    public void Key_OfAllowedCharacters_IsValid(string key) => IdempotencyKey.IsValid(key).ShouldBeTrue();

    [Theory]
    [InlineData("short")]
    [InlineData("has space in it")]
    [InlineData("slash/not/allowed")]
    [InlineData("ünïcödé-key")]
    [InlineData(null)]
    public void Key_OutsideTheAlphabetOrLength_IsInvalid(string? key) => IdempotencyKey.IsValid(key).ShouldBeFalse();

    [Fact]
    public void Key_Of129Characters_IsInvalid() => IdempotencyKey.IsValid(new string('a', 129)).ShouldBeFalse();

    [Fact]
    public void Key_Of128Characters_IsValid() => IdempotencyKey.IsValid(new string('a', 128)).ShouldBeTrue();
}
