using Ledger.Pricing;
using NodaTime;

namespace Ledger.Tests.Pricing;

public sealed class when_a_version_is_chosen_for_an_event
{
    private static PriceBookVersionPublished Version(int number, string effectiveFrom) =>
        new("b", number, "USD", NodaTime.Text.InstantPattern.General.Parse(effectiveFrom).Value, [], false, Instant.FromUnixTimeSeconds(0), "k");

    private static readonly PriceBook Book = new()
    {
        Versions = [Version(1, "2026-01-01T00:00:00Z"), Version(2, "2026-06-01T12:00:00Z"), Version(3, "2026-03-01T00:00:00Z")]
    };

    [Theory]
    [InlineData("2025-12-31T23:59:59Z", null)]
    [InlineData("2026-01-01T00:00:00Z", 1)]
    [InlineData("2026-02-15T00:00:00Z", 1)]
    [InlineData("2026-04-01T00:00:00Z", 3)]     // a backdated version counts from its effective_from
    [InlineData("2026-06-01T11:59:00Z", 3)]     // an 11:59 event sent late keeps the old price
    [InlineData("2026-06-01T12:00:00Z", 2)]
    public void the_version_in_force_at_the_events_time_applies(string time, int? expected) =>
        Assert.Equal(expected, Book.InForceAt(NodaTime.Text.InstantPattern.General.Parse(time).Value)?.Version);
}
