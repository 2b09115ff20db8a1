using NodaTime;

namespace Ledger.Customers;

/// <summary>
/// Calendar periods (half-open intervals [start, end)) in a customer's time zone. Until contracts set billing periods, the billing
/// period is the calendar month in the customer's zone (docs/customers.md).
/// </summary>
public static class BillingPeriods
{
    public static DateTimeZone Zone(string timeZone) => DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone) ?? DateTimeZone.Utc;

    /// <summary>The calendar month containing <paramref name="at"/>, from local midnight of the 1st (or the first valid instant after a DST gap).</summary>
    public static Interval MonthOf(Instant at, DateTimeZone zone)
    {
        var local = at.InZone(zone).Date;
        var first = new LocalDate(local.Year, local.Month, 1);
        return new Interval(zone.AtStartOfDay(first).ToInstant(), zone.AtStartOfDay(first.PlusMonths(1)).ToInstant());
    }

    /// <summary>The calendar day containing <paramref name="at"/> (23 or 25 hours long on DST changes).</summary>
    public static Interval DayOf(Instant at, DateTimeZone zone)
    {
        var day = at.InZone(zone).Date;
        return new Interval(zone.AtStartOfDay(day).ToInstant(), zone.AtStartOfDay(day.PlusDays(1)).ToInstant());
    }

    public static Interval Of(BudgetPeriod kind, Instant at, DateTimeZone zone) =>
        kind == BudgetPeriod.Day ? DayOf(at, zone) : MonthOf(at, zone);
}
