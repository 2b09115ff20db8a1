using NodaTime;

namespace Ledger.Contracts;

public enum CycleKind { Month, Year, Custom }

/// <summary>
/// How a contract's billing periods repeat, in the customer's time zone: monthly on an anchor day,
/// yearly on an anchor date, or every custom length from the contract's start.
/// </summary>
/// <remarks>
/// Periods are half-open intervals [start, end) of instants: contiguous (each ends where the next starts), never empty,
/// never overlapping. Month and year periods start at local midnight of the anchor day; an anchor past a month's end
/// falls on its last day, month by month, so an anchor on the 31st goes Jan 31, Feb 28, Mar 31 and never drifts. A
/// contract that starts between two anchors has a first, shorter stub period from its start to the next anchor; its fee
/// is prorated against the full period it is cut from (<see cref="FullPeriodOf"/>, <see cref="Proration"/>). A custom
/// cycle repeats from the contract's start itself (start + k × length in local date-time, never drifting), so it has no
/// stub. Where DST skips a boundary's local time, the period starts at the first instant after the gap. The rules in
/// words: docs/invoicing.md#billing-periods.
/// </remarks>
/// <param name="AnchorDay">Month and year: the day of month a period starts (1–31; past a month's last day, its last day).</param>
/// <param name="AnchorMonth">Year: the month a period starts (1–12).</param>
/// <param name="Length">Custom: a period's length as a calendar period (e.g. P14D, P3M).</param>
public sealed record BillingCycle(CycleKind Kind, int AnchorDay = 1, int AnchorMonth = 1, Period? Length = null)
{
    /// <summary>The billing period containing <paramref name="at"/> for a contract that started at <paramref name="start"/>.</summary>
    /// <remarks>The first period is a stub, [start, next anchor), when the contract starts between anchors.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="at"/> is before the contract started.</exception>
    public Interval PeriodOf(Instant start, Instant at, DateTimeZone zone)
    {
        var full = FullPeriodOf(start, at, zone);
        return full.Start < start ? new Interval(start, full.End) : full;
    }

    /// <summary>The period after <paramref name="period"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="period"/> is not one of this contract's periods.</exception>
    public Interval Next(Instant start, Interval period, DateTimeZone zone) =>
        period.Start >= start && PeriodOf(start, period.Start, zone) == period
            ? PeriodOf(start, period.End, zone)
            : throw new ArgumentException($"{period} is not a billing period of this contract", nameof(period));

    /// <summary>
    /// The whole cycle period containing <paramref name="at"/>, as if the contract had run before its start: the same as
    /// <see cref="PeriodOf"/> except for a stub, where it is the full period the stub is cut from. A stub's fee and
    /// allowance are prorated against it.
    /// </summary>
    public Interval FullPeriodOf(Instant start, Instant at, DateTimeZone zone)
    {
        if (at < start)
            throw new ArgumentOutOfRangeException(nameof(at), at, $"Before the contract started ({start})");
        if (Problem() is { } problem)
            throw new InvalidOperationException(problem);
        var origin = start.InZone(zone).LocalDateTime;
        var k = Guess(origin, at.InZone(zone).LocalDateTime);
        // The guess is off by at most one or two periods (DST overlaps, empty periods after a skipped day): walk to the right one.
        while (at < Boundary(origin, k, zone)) k--;
        while (at >= Boundary(origin, k + 1, zone)) k++;
        return new Interval(Boundary(origin, k, zone), Boundary(origin, k + 1, zone));
    }

    /// <summary>Why this cycle cannot compute periods, or null when it can. For validating a contract before it is accepted.</summary>
    public string? Problem() => Kind switch
    {
        CycleKind.Month when AnchorDay is < 1 or > 31 => "A monthly anchor day is between 1 and 31",
        CycleKind.Year when AnchorMonth is < 1 or > 12 => "A yearly anchor month is between 1 and 12",
        CycleKind.Year when AnchorDay < 1 || AnchorDay > DaysInMonth(2000, AnchorMonth) =>
            $"A yearly anchor day in month {AnchorMonth} is between 1 and {DaysInMonth(2000, AnchorMonth)}",
        CycleKind.Custom when Length is null => "A custom cycle needs a length",
        CycleKind.Custom when Length.HasTimeComponent => "A custom length is in years, months, weeks and days, not hours",
        CycleKind.Custom when Length.Years < 0 || Length.Months < 0 || Length.Weeks < 0 || Length.Days < 0
                              || Length.Years + Length.Months + Length.Weeks + Length.Days == 0 => "A custom length is positive",
        CycleKind.Month or CycleKind.Year or CycleKind.Custom => null,
        _ => $"Unknown cycle kind {Kind}",
    };

    /// <summary>An index near the period containing <paramref name="at"/>: months since year 0, the year, or lengths since the start.</summary>
    private long Guess(LocalDateTime origin, LocalDateTime at) => Kind switch
    {
        CycleKind.Month => at.Year * 12L + at.Month - 1,
        CycleKind.Year => at.Year,
        _ => (long)Math.Floor(Period.Between(origin.Date, at.Date, PeriodUnits.Days).Days / ApproximateDays(Length!)),
    };

    /// <summary>Where period <paramref name="k"/> starts: its local start, placed on the time line.</summary>
    private Instant Boundary(LocalDateTime origin, long k, DateTimeZone zone) => FirstInstantAtOrAfter(Kind switch
    {
        CycleKind.Month => AnchorIn((int)(k / 12), (int)(k % 12) + 1).AtMidnight(),
        CycleKind.Year => AnchorIn((int)k, AnchorMonth).AtMidnight(),
        _ => origin.Plus(Times(Length!, checked((int)k))), // from the origin each time, so month ends do not drift
    }, zone);

    private LocalDate AnchorIn(int year, int month) => new(year, month, Math.Min(AnchorDay, DaysInMonth(year, month)));

    /// <summary>
    /// The instant <paramref name="local"/> first happens, or when it does not (a DST gap, a day the zone skipped), the
    /// first instant after the gap. Like <see cref="DateTimeZone.AtStartOfDay"/>, which throws for a skipped day instead.
    /// </summary>
    internal static Instant FirstInstantAtOrAfter(LocalDateTime local, DateTimeZone zone)
    {
        var mapping = zone.MapLocal(local);
        return mapping.Count > 0 ? mapping.First().ToInstant() : mapping.LateInterval.Start;
    }

    private static Period Times(Period length, int k) =>
        new PeriodBuilder { Years = length.Years * k, Months = length.Months * k, Weeks = length.Weeks * k, Days = length.Days * k }.Build();

    private static double ApproximateDays(Period length) =>
        length.Years * 365.2425 + length.Months * 30.436875 + length.Weeks * 7 + length.Days;

    private static int DaysInMonth(int year, int month) => CalendarSystem.Iso.GetDaysInMonth(year, month);
}
