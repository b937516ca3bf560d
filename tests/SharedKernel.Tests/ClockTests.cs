using System.Text.Json;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Json;

namespace Library.SharedKernel.Tests;

public sealed class ClockTests
{
    [Fact]
    public void Truncation_DropsTheSubMicrosecondTicks()
    {
        var value = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero).AddTicks(1_234_567);
        Clock.TruncateToMicroseconds(value).Ticks.ShouldBe(value.Ticks - 7);
    }

    [Fact]
    public void Timestamps_AreWrittenAsUtcWithSixFractionalDigits()
    {
        var options = new JsonSerializerOptions();
        LibraryJson.Configure(options);
        var value = new DateTimeOffset(2026, 11, 23, 12, 30, 5, TimeSpan.FromHours(2)).AddTicks(1_234_560);

        JsonSerializer.Serialize(value, options).ShouldBe("\"2026-11-23T10:30:05.123456Z\"");
    }
}
