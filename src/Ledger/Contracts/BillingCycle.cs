using NodaTime;

namespace Ledger.Contracts;

public enum CycleKind { Month, Year, Custom }

/// <summary>
/// How a contract's billing periods repeat, in the customer's time zone: monthly on an anchor day,
/// yearly on an anchor date, or every custom length from the contract's start.
/// </summary>
/// <param name="AnchorDay">Month and year: the day of month a period starts (1–31; past a month's last day, its last day).</param>
/// <param name="AnchorMonth">Year: the month a period starts (1–12).</param>
/// <param name="Length">Custom: a period's length as a calendar period (e.g. P14D, P3M).</param>
public sealed record BillingCycle(CycleKind Kind, int AnchorDay = 1, int AnchorMonth = 1, Period? Length = null)
{
    /// <summary>The billing period containing <paramref name="at"/> for a contract that started at <paramref name="start"/>.</summary>
    public Interval PeriodOf(Instant start, Instant at, DateTimeZone zone) => throw new NotImplementedException();

    /// <summary>The period after <paramref name="period"/>.</summary>
    public Interval Next(Instant start, Interval period, DateTimeZone zone) => throw new NotImplementedException();
}
