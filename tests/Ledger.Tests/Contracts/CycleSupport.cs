using System.Globalization;
using Ledger.Contracts;
using NodaTime;

namespace Ledger.Tests.Contracts;

/// <summary>Local times in named zones and the run of periods a contract goes through, for billing cycle tests.</summary>
internal static class CycleSupport
{
    public static DateTimeZone Zone(string id) => DateTimeZoneProviders.Tzdb[id];

    /// <summary>The instant a local time happens in <paramref name="zone"/> (the earlier one in an overlap).</summary>
    public static Instant At(string zone, int year, int month, int day, int hour = 0, int minute = 0) =>
        new LocalDateTime(year, month, day, hour, minute).InZoneLeniently(Zone(zone)).ToInstant();

    /// <summary>The first <paramref name="count"/> periods of a contract that started at <paramref name="start"/>.</summary>
    public static List<Interval> Periods(BillingCycle cycle, Instant start, string zone, int count)
    {
        var periods = new List<Interval> { cycle.PeriodOf(start, start, Zone(zone)) };
        while (periods.Count < count)
            periods.Add(cycle.Next(start, periods[^1], Zone(zone)));
        return periods;
    }

    /// <summary>Where each period starts, as local "yyyy-MM-dd HH:mm" in the zone.</summary>
    public static string[] LocalStarts(IEnumerable<Interval> periods, string zone) =>
        periods.Select(p => p.Start.InZone(Zone(zone)).LocalDateTime.ToString("uuuu-MM-dd HH:mm", CultureInfo.InvariantCulture)).ToArray();
}
