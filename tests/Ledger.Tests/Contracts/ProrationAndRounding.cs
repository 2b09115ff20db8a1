using Ledger.Contracts;
using Ledger.Customers;
using Ledger.Kernel;
using NodaTime;
using static Ledger.Tests.Contracts.CycleSupport;

namespace Ledger.Tests.Contracts;

public sealed class when_a_period_is_prorated
{
    /// <summary>April 2026 in UTC, 30 days.</summary>
    private static readonly Interval April = new(Instant.FromUtc(2026, 4, 1, 0, 0), Instant.FromUtc(2026, 5, 1, 0, 0));

    /// <summary>Consecutive segments of <paramref name="period"/>, each so many days long.</summary>
    private static List<Interval> Days(Interval period, params int[] days)
    {
        var segments = new List<Interval>();
        var from = period.Start;
        foreach (var d in days)
            segments.Add(new Interval(from, from = from + Duration.FromDays(d)));
        return segments;
    }

    private static decimal[] Amounts(IEnumerable<Money> parts) => parts.Select(p => p.Amount).ToArray();

    [Fact]
    public void a_30_day_period_split_10_and_20_days_carries_a_third_and_two_thirds()
    {
        var segments = Days(April, 10, 20);

        Assert.Equal(1m / 3m, Proration.Fraction(segments[0], April));
        Assert.Equal(2m / 3m, Proration.Fraction(segments[1], April));
        Assert.Equal([100.00m, 200.00m], Amounts(Proration.Split(new Money(300.00m, "USD"), April, segments)));
    }

    [Fact]
    public void a_fee_split_in_thirds_gives_the_leftover_cent_to_the_earliest_of_equal_remainders() =>
        Assert.Equal([33.34m, 33.33m, 33.33m], Amounts(Proration.Split(new Money(100.00m, "USD"), April, Days(April, 10, 10, 10))));

    [Theory]
    [InlineData(new[] { 10, 10, 11 }, new[] { 32.26, 32.26, 35.48 })] // remainders .0065, .0065, .0039: two cents left over
    [InlineData(new[] { 11, 10, 10 }, new[] { 35.48, 32.26, 32.26 })]
    public void leftover_cents_go_to_the_largest_remainders_and_the_parts_sum_to_the_whole(int[] days, double[] expected)
    {
        var may = new Interval(Instant.FromUtc(2026, 5, 1, 0, 0), Instant.FromUtc(2026, 6, 1, 0, 0));

        var parts = Proration.Split(new Money(100.00m, "USD"), may, Days(may, days));

        Assert.Equal(expected.Select(e => (decimal)e), Amounts(parts));
        Assert.Equal(100.00m, parts.Sum(p => p.Amount));
    }

    [Fact]
    public void a_later_segment_with_the_largest_remainder_gets_the_cent()
    {
        var week = new Interval(Instant.FromUtc(2026, 6, 1, 0, 0), Instant.FromUtc(2026, 6, 8, 0, 0));

        // 28.5714…, 28.5714…, 42.8571…: the third remainder (.0071) is the largest
        Assert.Equal([28.57m, 28.57m, 42.86m], Amounts(Proration.Split(new Money(100.00m, "USD"), week, Days(week, 2, 2, 3))));
    }

    [Fact]
    public void a_credit_is_split_as_the_mirror_of_a_charge() =>
        Assert.Equal([-33.34m, -33.33m, -33.33m], Amounts(Proration.Split(new Money(-100.00m, "USD"), April, Days(April, 10, 10, 10))));

    [Fact]
    public void a_currency_without_minor_units_is_split_in_whole_units() =>
        Assert.Equal([334m, 333m, 333m], Amounts(Proration.Split(new Money(1000m, "JPY"), April, Days(April, 10, 10, 10))));

    [Fact]
    public void an_allowance_of_whole_units_is_split_the_same_way() =>
        Assert.Equal([334m, 333m, 333m], Proration.Split(1000m, 0, April, Days(April, 10, 10, 10)));

    [Fact]
    public void a_stub_with_an_amendment_carries_its_share_of_the_full_period_rounded_once()
    {
        var january = new Interval(Instant.FromUtc(2026, 1, 1, 0, 0), Instant.FromUtc(2026, 2, 1, 0, 0));
        var stub = new Interval(Instant.FromUtc(2026, 1, 15, 0, 0), january.End); // 17 of 31 days
        var amended = Instant.FromUtc(2026, 1, 20, 0, 0);

        var parts = Proration.Split(new Money(310.00m, "USD"), january, [new Interval(stub.Start, amended), new Interval(amended, stub.End)]);

        Assert.Equal([50.00m, 120.00m], Amounts(parts));
        Assert.Equal(170.00m, Proration.Prorate(new Money(310.00m, "USD"), stub, january).RoundToMinorUnits().Amount);
    }

    [Fact]
    public void a_dst_day_counts_the_23_hours_it_lasts()
    {
        var march = new BillingCycle(CycleKind.Month).PeriodOf(At("Europe/Berlin", 2026, 3, 1), At("Europe/Berlin", 2026, 3, 29, 12), Zone("Europe/Berlin"));
        var day = BillingPeriods.DayOf(At("Europe/Berlin", 2026, 3, 29, 12), Zone("Europe/Berlin"));

        Assert.Equal(23m / 743m, Proration.Fraction(day, march));
    }

    [Fact]
    public void segments_that_overlap_or_leave_the_period_are_refused()
    {
        var money = new Money(100m, "USD");
        Assert.Throws<ArgumentException>(() => Proration.Split(money, April, [new Interval(April.Start, April.End), new Interval(April.Start, April.End)]));
        Assert.Throws<ArgumentException>(() => Proration.Split(money, April, [new Interval(April.Start - Duration.FromDays(1), April.End)]));
    }
}
