using Ledger.Contracts;
using Ledger.Customers;
using NodaTime;
using static Ledger.Tests.Contracts.CycleSupport;

namespace Ledger.Tests.Contracts;

public sealed class when_a_cycle_is_monthly
{
    [Fact]
    public void anchored_on_the_1st_its_periods_are_the_calendar_months_across_a_year()
    {
        var periods = Periods(new BillingCycle(CycleKind.Month, AnchorDay: 1), At("Europe/Berlin", 2026, 1, 1), "Europe/Berlin", 12);

        Assert.Equal(Enumerable.Range(1, 12).Select(m => $"2026-{m:00}-01 00:00"), LocalStarts(periods, "Europe/Berlin"));
        Assert.All(periods, p => Assert.Equal(BillingPeriods.MonthOf(p.Start, Zone("Europe/Berlin")), p));
        Assert.Equal(At("Europe/Berlin", 2027, 1, 1), periods[^1].End);
    }

    [Theory]
    [InlineData(2024, "2024-02-29 00:00")]
    [InlineData(2025, "2025-02-28 00:00")]
    public void anchored_on_the_31st_it_starts_on_the_last_day_of_shorter_months_and_returns_to_the_31st(int year, string february)
    {
        var periods = Periods(new BillingCycle(CycleKind.Month, AnchorDay: 31), At("UTC", year, 1, 31), "UTC", 6);

        Assert.Equal([$"{year}-01-31 00:00", february, $"{year}-03-31 00:00", $"{year}-04-30 00:00", $"{year}-05-31 00:00", $"{year}-06-30 00:00"],
            LocalStarts(periods, "UTC"));
    }

    [Theory]
    [InlineData(2024, "2024-02-29 00:00")]
    [InlineData(2025, "2025-02-28 00:00")]
    public void anchored_on_the_30th_february_starts_on_its_last_day(int year, string february)
    {
        var periods = Periods(new BillingCycle(CycleKind.Month, AnchorDay: 30), At("UTC", year, 1, 30), "UTC", 3);

        Assert.Equal([$"{year}-01-30 00:00", february, $"{year}-03-30 00:00"], LocalStarts(periods, "UTC"));
    }

    [Fact]
    public void in_new_york_periods_start_at_local_midnight_whatever_the_offset()
    {
        var cycle = new BillingCycle(CycleKind.Month, AnchorDay: 15);

        var february = cycle.PeriodOf(At("America/New_York", 2026, 1, 15), Instant.FromUtc(2026, 3, 1, 12, 0), Zone("America/New_York"));

        Assert.Equal(new Interval(Instant.FromUtc(2026, 2, 15, 5, 0), Instant.FromUtc(2026, 3, 15, 4, 0)), february); // EST, then EDT from March 8
        Assert.Equal(Duration.FromHours(28 * 24 - 1), february.Duration);
    }

    [Fact]
    public void an_instant_on_a_boundary_belongs_to_the_period_it_starts()
    {
        var cycle = new BillingCycle(CycleKind.Month, AnchorDay: 10);
        var start = At("Asia/Kolkata", 2026, 1, 10);

        var period = cycle.PeriodOf(start, At("Asia/Kolkata", 2026, 2, 10), Zone("Asia/Kolkata"));

        Assert.Equal(new Interval(At("Asia/Kolkata", 2026, 2, 10), At("Asia/Kolkata", 2026, 3, 10)), period);
        Assert.Equal(At("Asia/Kolkata", 2026, 2, 10), cycle.PeriodOf(start, At("Asia/Kolkata", 2026, 2, 10) - Duration.Epsilon, Zone("Asia/Kolkata")).End);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(32)]
    public void an_anchor_day_outside_1_to_31_is_refused(int day)
    {
        var cycle = new BillingCycle(CycleKind.Month, AnchorDay: day);

        Assert.NotNull(cycle.Problem());
        Assert.Throws<InvalidOperationException>(() => cycle.PeriodOf(Instant.FromUtc(2026, 1, 1, 0, 0), Instant.FromUtc(2026, 1, 1, 0, 0), DateTimeZone.Utc));
    }
}
