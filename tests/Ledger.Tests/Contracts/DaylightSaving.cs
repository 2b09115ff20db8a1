using Ledger.Contracts;
using NodaTime;
using static Ledger.Tests.Contracts.CycleSupport;

namespace Ledger.Tests.Contracts;

public sealed class when_dst_changes_the_clocks
{
    private static readonly BillingCycle OnThe1st = new(CycleKind.Month, AnchorDay: 1);

    [Theory]
    [InlineData(3, 743)] // clocks forward on March 29, 2026
    [InlineData(10, 745)] // back on October 25
    [InlineData(6, 720)]
    public void a_berlin_month_is_as_many_hours_as_really_elapse(int month, int hours)
    {
        var period = OnThe1st.PeriodOf(At("Europe/Berlin", 2026, 1, 1), At("Europe/Berlin", 2026, month, 15), Zone("Europe/Berlin"));

        Assert.Equal(Duration.FromHours(hours), period.Duration);
    }

    [Theory]
    [InlineData("America/Santiago", 2026, 9, 6, "2026-09-06T04:00:00Z")] // Chile moves from 00:00 to 01:00
    [InlineData("Asia/Beirut", 2026, 3, 29, "2026-03-28T22:00:00Z")]     // Lebanon too
    public void where_midnight_does_not_exist_the_period_starts_at_the_first_instant_of_the_day(string zone, int year, int month, int day, string expected)
    {
        var cycle = new BillingCycle(CycleKind.Month, AnchorDay: day);
        var start = At(zone, year, 1, day);

        var period = cycle.PeriodOf(start, At(zone, year, month, day, 12), Zone(zone));

        Assert.Equal(NodaTime.Text.InstantPattern.General.Parse(expected).Value, period.Start);
        Assert.Equal(Zone(zone).AtStartOfDay(new LocalDate(year, month, day)).ToInstant(), period.Start);
        Assert.Equal(new LocalTime(1, 0), period.Start.InZone(Zone(zone)).TimeOfDay);
    }

    [Fact]
    public void in_santiago_the_period_after_the_gap_is_an_hour_short_and_the_one_before_is_whole_days()
    {
        var cycle = new BillingCycle(CycleKind.Month, AnchorDay: 6);
        var start = At("America/Santiago", 2026, 1, 6);

        var august = cycle.PeriodOf(start, At("America/Santiago", 2026, 8, 20), Zone("America/Santiago"));
        var september = cycle.Next(start, august, Zone("America/Santiago"));

        Assert.Equal(Duration.FromDays(31), august.Duration);                  // Aug 6 00:00 -04 to Sep 6 01:00 -03
        Assert.Equal(Duration.FromHours(30 * 24 - 1), september.Duration);     // Sep 6 01:00 -03 to Oct 6 00:00 -03
    }

    [Fact]
    public void a_day_the_zone_skipped_entirely_starts_the_period_at_the_next_day()
    {
        // Samoa moved across the date line: December 30, 2011 never happened in Apia (NodaTime's AtStartOfDay throws for it).
        var cycle = new BillingCycle(CycleKind.Month, AnchorDay: 30);
        var start = At("Pacific/Apia", 2011, 10, 30);

        var december = cycle.PeriodOf(start, Instant.FromUtc(2011, 12, 30, 12, 0), Zone("Pacific/Apia"));

        Assert.Equal(Instant.FromUtc(2011, 12, 30, 10, 0), december.Start); // December 31, 00:00 +14
        Assert.Equal(At("Pacific/Apia", 2012, 1, 30), december.End);
        Assert.Equal(december.Start, cycle.PeriodOf(start, december.Start - Duration.Epsilon, Zone("Pacific/Apia")).End);
    }
}
