using Ledger.Contracts;
using NodaTime;
using static Ledger.Tests.Contracts.CycleSupport;

namespace Ledger.Tests.Contracts;

public sealed class when_a_contract_starts_between_anchors
{
    private static readonly BillingCycle OnThe1st = new(CycleKind.Month, AnchorDay: 1);
    private static readonly Instant MidJanuary = Instant.FromUtc(2026, 1, 15, 10, 0);

    [Fact]
    public void its_first_period_is_a_stub_from_its_start_to_the_next_anchor()
    {
        var first = OnThe1st.PeriodOf(MidJanuary, MidJanuary, DateTimeZone.Utc);

        Assert.Equal(new Interval(MidJanuary, Instant.FromUtc(2026, 2, 1, 0, 0)), first);
        Assert.Equal(new Interval(Instant.FromUtc(2026, 2, 1, 0, 0), Instant.FromUtc(2026, 3, 1, 0, 0)), OnThe1st.Next(MidJanuary, first, DateTimeZone.Utc));
    }

    [Fact]
    public void the_stub_is_cut_from_the_full_period_and_carries_its_exact_share_of_it()
    {
        var full = OnThe1st.FullPeriodOf(MidJanuary, MidJanuary, DateTimeZone.Utc);
        var stub = OnThe1st.PeriodOf(MidJanuary, MidJanuary, DateTimeZone.Utc);

        Assert.Equal(new Interval(Instant.FromUtc(2026, 1, 1, 0, 0), Instant.FromUtc(2026, 2, 1, 0, 0)), full);
        Assert.Equal(398m / 744m, Proration.Fraction(stub, full)); // 16 days 14 hours of 31 days
        Assert.Equal(OnThe1st.PeriodOf(MidJanuary, Instant.FromUtc(2026, 2, 3, 0, 0), DateTimeZone.Utc),
            OnThe1st.FullPeriodOf(MidJanuary, Instant.FromUtc(2026, 2, 3, 0, 0), DateTimeZone.Utc)); // later periods are whole
    }

    [Fact]
    public void a_contract_starting_on_an_anchor_has_no_stub()
    {
        var start = At("Europe/Berlin", 2026, 3, 1);

        Assert.Equal(new Interval(start, At("Europe/Berlin", 2026, 4, 1)), new BillingCycle(CycleKind.Month).PeriodOf(start, start, Zone("Europe/Berlin")));
    }

    [Fact]
    public void usage_before_the_contract_started_is_not_its_business() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => OnThe1st.PeriodOf(MidJanuary, MidJanuary - Duration.Epsilon, DateTimeZone.Utc));

    [Fact]
    public void next_refuses_an_interval_that_is_not_one_of_its_periods()
    {
        Assert.Throws<ArgumentException>(() => OnThe1st.Next(MidJanuary,
            new Interval(Instant.FromUtc(2026, 1, 1, 0, 0), Instant.FromUtc(2026, 2, 1, 0, 0)), DateTimeZone.Utc)); // the full period, not the stub
        Assert.Throws<ArgumentException>(() => OnThe1st.Next(MidJanuary,
            new Interval(Instant.FromUtc(2026, 2, 1, 0, 0), Instant.FromUtc(2026, 2, 15, 0, 0)), DateTimeZone.Utc)); // half a period
    }
}
