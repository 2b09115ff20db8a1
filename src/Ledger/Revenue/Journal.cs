using System.Globalization;
using Ledger.Kernel;
using NodaTime;

namespace Ledger.Revenue;

/// <summary>One line of an entry: a debit or a credit (never both) on one account.</summary>
public sealed record JournalLine(string Account, decimal Debit, decimal Credit, string? Memo = null)
{
    /// <summary>A line from a signed amount: positive debits <paramref name="account"/>, negative credits it.</summary>
    public static JournalLine Signed(string account, decimal debit, string? memo = null) =>
        debit >= 0 ? new(account, debit, 0m, memo) : new(account, 0m, -debit, memo);
}

/// <summary>
/// An entry decided by a posting run, before it is stored. <see cref="PostingDate"/> is the fact's own date: the entry is
/// posted in its month unless that month is closed, then in the first open one (<see cref="Journal.PostingPeriod"/>).
/// </summary>
public sealed record PlannedEntry(string Kind, string CustomerId, string Currency, LocalDate PostingDate, LocalDate ServiceDate, decimal Amount,
    string Source, IReadOnlyDictionary<string, object?> Cause, string Description, IReadOnlyList<JournalLine> Lines)
{
    public static PlannedEntry TwoLine(EntryKind kind, string customerId, string currency, LocalDate postingDate, LocalDate serviceDate, decimal amount,
        string source, IReadOnlyDictionary<string, object?> cause, string description) =>
        new(kind.Name, customerId, currency, postingDate, serviceDate, amount, source, cause, description,
            amount >= 0
                ? [new(kind.Debit, amount, 0m), new(kind.Credit, 0m, amount)]
                : [new(kind.Credit, -amount, 0m), new(kind.Debit, 0m, -amount)]);

    public bool Balanced => Lines.Sum(l => l.Debit) == Lines.Sum(l => l.Credit);
}

/// <summary>Dates and splits of the journal (pure; docs/revenue.md).</summary>
public static class Journal
{
    /// <summary>
    /// The accounting period (a month, UTC) an entry is posted in: the month of its date, or the first open month when that
    /// one is closed (<paramref name="open"/>: the first day of the first month after the last closed one; null when none is).
    /// </summary>
    public static LocalDate PostingPeriod(LocalDate date, LocalDate? open)
    {
        var month = new LocalDate(date.Year, date.Month, 1);
        return open is { } o && o > month ? o : month;
    }

    public static LocalDate UtcDate(Instant at) => at.InUtc().Date;

    /// <summary>The UTC days <paramref name="span"/> touches, each cut to the span (the first and last may be partial).</summary>
    public static IReadOnlyList<Interval> UtcDays(Interval span)
    {
        var days = new List<Interval>();
        for (var start = span.Start; start < span.End;)
        {
            var next = UtcDate(start).PlusDays(1).AtStartOfDayInZone(DateTimeZone.Utc).ToInstant();
            var end = next < span.End ? next : span.End;
            days.Add(new Interval(start, end));
            start = end;
        }
        return days;
    }

    /// <summary>
    /// A fee line over the UTC days of its segment: each day's exact share is the line's exact amount × the day's part of the
    /// segment (= the period's fee × the day's fraction of the period), and the shares are rounded by largest remainder so the
    /// days add up to the line as invoiced, exactly.
    /// </summary>
    public static IReadOnlyList<(LocalDate Day, decimal Amount)> FeeDays(Interval segment, decimal exact, decimal invoiced, string currency)
    {
        var days = UtcDays(segment);
        var whole = (decimal)segment.Duration.ToInt64Nanoseconds();
        var shares = days.Select(d => exact * (d.Duration.ToInt64Nanoseconds() / whole)).ToList();
        var parts = Allocate(invoiced, shares, Currency.MinorUnits(currency));
        return days.Select((d, i) => (UtcDate(d.Start), parts[i])).ToList();
    }

    /// <summary>
    /// Largest remainder: every share rounded toward zero, then the minor units the rounded whole still lacks (or has too many)
    /// go one at a time to the shares that rounding cut most (or least), ties to the earliest. The parts add up to
    /// <paramref name="whole"/> exactly, which must be in minor units; shares share its sign.
    /// </summary>
    public static IReadOnlyList<decimal> Allocate(decimal whole, IReadOnlyList<decimal> shares, int decimals)
    {
        if (shares.Count == 0) return whole == 0 ? [] : throw new ArgumentException("Nothing to share out " + whole, nameof(shares));
        if (whole < 0) return Allocate(-whole, shares.Select(s => -s).ToList(), decimals).Select(p => -p).ToList();
        var parts = shares.Select(s => Math.Round(s, decimals, MidpointRounding.ToZero)).ToArray();
        var unit = new decimal(1, 0, 0, false, checked((byte)decimals));
        var missing = (whole - parts.Sum()) / unit;
        if (missing != decimal.Truncate(missing)) throw new ArgumentException($"{whole} is not in minor units of {decimals} decimals", nameof(whole));
        var byRemainder = Enumerable.Range(0, parts.Length).OrderByDescending(i => shares[i] - parts[i]).ThenBy(i => i).ToList();
        if (missing < 0) byRemainder = Enumerable.Range(0, parts.Length).OrderBy(i => shares[i] - parts[i]).ThenBy(i => i).ToList();
        for (var k = 0; k < Math.Abs(missing); k++) parts[byRemainder[k % parts.Length]] += missing > 0 ? unit : -unit;
        return parts;
    }

    public static decimal Parse(string amount) => decimal.Parse(amount, NumberStyles.Number, CultureInfo.InvariantCulture);

    public static string Text(decimal amount) => (amount / 1.0000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);
}
