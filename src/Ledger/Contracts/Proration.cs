using Ledger.Kernel;
using NodaTime;

namespace Ledger.Contracts;

/// <summary>
/// The share of a billing period's fee and allowance that a part of the period carries, by exact elapsed time.
/// </summary>
/// <remarks>
/// A fraction is the part's duration over the period's, in nanoseconds (NodaTime's resolution, so nothing is truncated):
/// a Berlin March of 743 hours counts 743, a day in it 24/743. Calendar days would make a DST day cost the same as any
/// other, and the fractions of a month split on an hour would not add up to one. Splitting rounds once, to the currency's
/// minor units half away from zero, and hands the minor units that rounding each part leaves over to the parts with the
/// largest remainders (ties to the earliest part), so the parts always add up to the rounded whole: no cent is created or
/// lost by an amendment. The rules in words: docs/invoicing.md#proration-and-rounding.
/// </remarks>
public static class Proration
{
    /// <summary>The fraction of <paramref name="period"/> that <paramref name="part"/> covers (0–1).</summary>
    /// <remarks>For a stub period, pass the stub and the full period it is cut from (<see cref="BillingCycle.FullPeriodOf"/>).</remarks>
    public static decimal Fraction(Interval part, Interval period)
    {
        if (part.Start < period.Start || part.End > period.End)
            throw new ArgumentException($"{part} is not inside {period}", nameof(part));
        var whole = Nanoseconds(period);
        return whole > 0 ? Nanoseconds(part) / whole : throw new ArgumentException("An empty period has no fractions", nameof(period));
    }

    /// <summary>
    /// The share of a quantity (included units) that <paramref name="part"/> of <paramref name="period"/> carries, not rounded:
    /// exact whenever a decimal can hold it (the durations' ratio is reduced first, 60 × 20/30 days is 40, not 40.000…002).
    /// </summary>
    public static decimal Share(decimal quantity, Interval part, Interval period)
    {
        Fraction(part, period); // the same checks
        long num = part.Duration.ToInt64Nanoseconds(), den = period.Duration.ToInt64Nanoseconds(), a = num, b = den;
        while (b != 0) (a, b) = (b, a % b);
        try { return quantity * (num / a) / (den / a); }
        catch (OverflowException) { return quantity * ((decimal)(num / a) / (den / a)); }
    }

    /// <summary>The exact, unrounded share of <paramref name="amount"/> that <paramref name="part"/> of <paramref name="period"/> carries.</summary>
    public static Money Prorate(Money amount, Interval part, Interval period) => amount * Fraction(part, period);

    /// <summary>
    /// <paramref name="amount"/> (a period's fee) prorated over <paramref name="segments"/> of <paramref name="period"/>, each
    /// part in the currency's minor units, the parts adding up to the prorated whole rounded once.
    /// </summary>
    /// <param name="segments">In time order, not overlapping, inside the period; together they may cover only part of it (a stub).</param>
    public static IReadOnlyList<Money> Split(Money amount, Interval period, IReadOnlyList<Interval> segments) =>
        Split(amount.Amount, Currency.MinorUnits(amount.Currency), period, segments).Select(part => new Money(part, amount.Currency)).ToList();

    /// <summary>
    /// A quantity (an included allowance) prorated over segments the same way, rounded to <paramref name="decimals"/> places:
    /// 0 when the contract grants whole units.
    /// </summary>
    public static IReadOnlyList<decimal> Split(decimal quantity, int decimals, Interval period, IReadOnlyList<Interval> segments)
    {
        if (segments.Count == 0)
            return [];
        for (var i = 1; i < segments.Count; i++)
            if (segments[i].Start < segments[i - 1].End)
                throw new ArgumentException($"Segment {segments[i]} overlaps or precedes {segments[i - 1]}", nameof(segments));
        var parts = segments.Select(segment => quantity * Fraction(segment, period)).ToList();
        var covered = segments.Sum(Nanoseconds) / Nanoseconds(period); // one division: segments covering the period carry all of it
        return Allocate(quantity * covered, parts, decimals);
    }

    /// <summary>
    /// Largest remainder: each part rounded toward zero, then the minor units still missing from the rounded whole go one
    /// each to the parts with the largest remainders, ties to the earliest. Parts and whole share one sign.
    /// </summary>
    internal static IReadOnlyList<decimal> Allocate(decimal whole, IReadOnlyList<decimal> parts, int decimals)
    {
        if (whole < 0)
            return Allocate(-whole, parts.Select(part => -part).ToList(), decimals).Select(part => -part).ToList();
        var rounded = parts.Select(part => Math.Round(part, decimals, MidpointRounding.ToZero)).ToArray();
        var unit = new decimal(1, 0, 0, false, checked((byte)decimals)); // 10^-decimals: 0.01 for cents
        var missing = (int)((Math.Round(whole, decimals, MidpointRounding.AwayFromZero) - rounded.Sum()) / unit);
        if (missing < 0 || missing > parts.Count)
            throw new InvalidOperationException($"Parts {string.Join(", ", parts)} do not make up {whole}");
        var byRemainder = Enumerable.Range(0, parts.Count).OrderByDescending(i => parts[i] - rounded[i]).ThenBy(i => i);
        foreach (var i in byRemainder.Take(missing))
            rounded[i] += unit;
        return rounded;
    }

    private static decimal Nanoseconds(Interval interval) => interval.Duration.ToInt64Nanoseconds();
}
