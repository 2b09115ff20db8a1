using Ledger.Contracts;
using NodaTime;
using static Ledger.Tests.Contracts.CycleSupport;

namespace Ledger.Tests.Contracts;

public sealed class when_a_cycle_is_yearly
{
    private static readonly BillingCycle OnFebruary29 = new(CycleKind.Year, AnchorDay: 29, AnchorMonth: 2);

    [Fact]
    public void anchored_on_february_29_it_starts_on_february_28_in_common_years()
    {
        var periods = Periods(OnFebruary29, At("UTC", 2024, 2, 29), "UTC", 5);

        Assert.Equal(["2024-02-29 00:00", "2025-02-28 00:00", "2026-02-28 00:00", "2027-02-28 00:00", "2028-02-29 00:00"], LocalStarts(periods, "UTC"));
        Assert.Equal(Duration.FromDays(365), periods[0].Duration);
        Assert.Equal(Duration.FromDays(366), periods[3].Duration); // 2027-02-28 to 2028-02-29
    }

    [Fact]
    public void a_contract_starting_mid_year_has_a_stub_to_the_anchor()
    {
        var start = At("UTC", 2025, 6, 1);

        Assert.Equal(new Interval(start, At("UTC", 2026, 2, 28)), OnFebruary29.PeriodOf(start, start, DateTimeZone.Utc));
        Assert.Equal(new Interval(At("UTC", 2025, 2, 28), At("UTC", 2026, 2, 28)), OnFebruary29.FullPeriodOf(start, start, DateTimeZone.Utc));
    }

    [Theory]
    [InlineData(4, 31)]
    [InlineData(2, 30)]
    [InlineData(13, 1)]
    public void an_anchor_date_no_year_has_is_refused(int month, int day) =>
        Assert.NotNull(new BillingCycle(CycleKind.Year, AnchorDay: day, AnchorMonth: month).Problem());
}

public sealed class when_a_cycle_is_custom
{
    [Fact]
    public void every_14_days_it_keeps_the_local_time_of_the_start_across_dst()
    {
        var periods = Periods(new BillingCycle(CycleKind.Custom, Length: Period.FromDays(14)), At("Europe/Berlin", 2026, 1, 5, 9), "Europe/Berlin", 8);

        Assert.Equal(["2026-01-05 09:00", "2026-01-19 09:00", "2026-02-02 09:00", "2026-02-16 09:00", "2026-03-02 09:00", "2026-03-16 09:00",
            "2026-03-30 09:00", "2026-04-13 09:00"], LocalStarts(periods, "Europe/Berlin"));
        Assert.Equal(Duration.FromHours(14 * 24 - 1), periods[5].Duration); // the clocks went forward on March 29
    }

    [Fact]
    public void every_month_from_january_31_it_keeps_the_31st_and_never_drifts()
    {
        var periods = Periods(new BillingCycle(CycleKind.Custom, Length: Period.FromMonths(1)), At("UTC", 2026, 1, 31, 15), "UTC", 6);

        Assert.Equal(["2026-01-31 15:00", "2026-02-28 15:00", "2026-03-31 15:00", "2026-04-30 15:00", "2026-05-31 15:00", "2026-06-30 15:00"],
            LocalStarts(periods, "UTC"));
    }

    [Fact]
    public void it_starts_at_the_contracts_start_so_there_is_no_stub()
    {
        var start = Instant.FromUtc(2026, 5, 17, 13, 45);
        var cycle = new BillingCycle(CycleKind.Custom, Length: Period.FromMonths(3));

        Assert.Equal(cycle.FullPeriodOf(start, start, DateTimeZone.Utc), cycle.PeriodOf(start, start, DateTimeZone.Utc));
        Assert.Equal(new Interval(start, Instant.FromUtc(2026, 8, 17, 13, 45)), cycle.PeriodOf(start, start, DateTimeZone.Utc));
    }

    [Theory]
    [InlineData("PT12H")]
    [InlineData("P0D")]
    [InlineData("P-1M")]
    public void a_length_in_hours_zero_or_negative_is_refused(string length) =>
        Assert.NotNull(new BillingCycle(CycleKind.Custom, Length: NodaTime.Text.PeriodPattern.Roundtrip.Parse(length).Value).Problem());

    [Fact]
    public void a_custom_cycle_without_a_length_is_refused() =>
        Assert.NotNull(new BillingCycle(CycleKind.Custom).Problem());
}
