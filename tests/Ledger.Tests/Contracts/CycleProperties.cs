using CsCheck;
using Ledger.Contracts;
using Ledger.Kernel;
using NodaTime;

namespace Ledger.Tests.Contracts;

public sealed class billing_cycle_properties
{
    private static readonly Gen<DateTimeZone> AnyZone =
        Gen.OneOfConst("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Apia")
            .Select(id => DateTimeZoneProviders.Tzdb[id]);

    private static readonly Gen<BillingCycle> AnyCycle = Gen.OneOf(
        Gen.Int[1, 31].Select(day => new BillingCycle(CycleKind.Month, AnchorDay: day)),
        Gen.Int[1, 12].SelectMany(month => Gen.Int[1, CalendarSystem.Iso.GetDaysInMonth(2000, month)]
            .Select(day => new BillingCycle(CycleKind.Year, AnchorDay: day, AnchorMonth: month))),
        Gen.OneOfConst(Period.FromDays(7), Period.FromDays(10), Period.FromWeeks(2), Period.FromMonths(1), Period.FromMonths(3),
                Period.FromYears(1), Period.FromMonths(1) + Period.FromDays(15))
            .Select(length => new BillingCycle(CycleKind.Custom, Length: length)));

    /// <summary>1990–2040, Apia's skipped day included.</summary>
    private static readonly Gen<Instant> AnyStart = Gen.Long[Instant.FromUtc(1990, 1, 1, 0, 0).ToUnixTimeSeconds(), Instant.FromUtc(2040, 1, 1, 0, 0).ToUnixTimeSeconds()]
        .Select(Instant.FromUnixTimeSeconds);

    /// <summary>A contract, a zone and an instant up to five years into the contract; half the starts at a local midnight, where anchors fall.</summary>
    private static readonly Gen<(BillingCycle Cycle, DateTimeZone Zone, Instant Start, Instant At)> AnyCase =
        Gen.Select(AnyCycle, AnyZone, AnyStart, Gen.Bool, Gen.Long[0, 5L * 366 * 86400 * 1000])
            .Select(x =>
            {
                var start = x.Item4 ? x.Item2.AtStartOfDay(x.Item3.InZone(x.Item2).Date).ToInstant() : x.Item3;
                return (x.Item1, x.Item2, start, start + Duration.FromMilliseconds(x.Item5));
            });

    [Fact]
    public void the_period_of_an_instant_contains_it_and_periods_follow_one_another_without_gaps() =>
        AnyCase.Sample(c =>
        {
            var period = c.Cycle.PeriodOf(c.Start, c.At, c.Zone);
            Assert.True(period.Contains(c.At), $"{period} does not contain {c.At}");
            Assert.True(period.Start >= c.Start);

            var full = c.Cycle.FullPeriodOf(c.Start, c.At, c.Zone);
            Assert.Equal(full.End, period.End);
            Assert.True(full.Start == period.Start || period.Start == c.Start, "only the first period is a stub");
            if (c.Cycle.Kind == CycleKind.Month)
                Assert.InRange(full.Duration, Duration.FromDays(27), Duration.FromDays(32));
            if (c.Cycle.Kind == CycleKind.Year)
                Assert.InRange(full.Duration, Duration.FromDays(364), Duration.FromDays(367));

            for (var i = 0; i < 3; i++)
            {
                Assert.True(period.Duration > Duration.Zero, $"{period} is empty");
                Assert.Equal(period, c.Cycle.PeriodOf(c.Start, period.End - Duration.Epsilon, c.Zone));
                var next = c.Cycle.Next(c.Start, period, c.Zone);
                Assert.Equal(period.End, next.Start);
                period = next;
            }
        }, iter: 3000);

    [Fact]
    public void a_split_over_any_segments_sums_exactly_to_the_rounded_whole_and_each_part_is_within_a_minor_unit() =>
        Gen.Select(AnyCase, Gen.OneOfConst("USD", "JPY", "BHD"), Gen.Long[-1_000_000_000_000, 1_000_000_000_000],
                Gen.Int[0, 1_000_000].Array[0, 6], Gen.Bool.Array[7])
            .Sample(x =>
            {
                var (c, currency, micros, cuts, kept) = x;
                var period = c.Cycle.FullPeriodOf(c.Start, c.At, c.Zone);
                var amount = new Money(micros / 1_000_000m, currency);
                var points = cuts.Select(cut => period.Start + period.Duration * (cut / 1_000_000.0)).Append(period.Start).Append(period.End)
                    .Distinct().Order().ToList();
                var segments = points.Zip(points.Skip(1), (from, to) => new Interval(from, to)).Where((_, i) => kept[i]).ToList();

                var parts = Proration.Split(amount, period, segments);

                var minor = Currency.MinorUnits(currency);
                var unit = 1m / (decimal)Math.Pow(10, minor);
                var covered = (decimal)segments.Sum(s => s.Duration.ToInt64Nanoseconds()) / period.Duration.ToInt64Nanoseconds();
                Assert.Equal(Math.Round(amount.Amount * covered, minor, MidpointRounding.AwayFromZero), parts.Sum(p => p.Amount));
                for (var i = 0; i < segments.Count; i++)
                {
                    Assert.Equal(parts[i].Amount, Math.Round(parts[i].Amount, minor));
                    Assert.True(Math.Abs(parts[i].Amount - amount.Amount * Proration.Fraction(segments[i], period)) < unit, $"part {i} strays");
                }
                if (segments.Count == points.Count - 1)
                    Assert.Equal(amount.RoundToMinorUnits().Amount, parts.Sum(p => p.Amount)); // the whole period carries the whole fee
            }, iter: 3000);
}
