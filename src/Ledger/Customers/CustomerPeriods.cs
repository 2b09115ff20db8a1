using Ledger.Contracts;
using NodaTime;
using NodaTime.Text;

namespace Ledger.Customers;

/// <summary>A billing period of a customer: under the contract that covers it, or a calendar month outside contracts.</summary>
public sealed record CustomerPeriod(Interval Span, Contract? Contract, DateTimeZone Zone)
{
    /// <summary>The period's name in URLs: the local date it starts on, e.g. <c>2027-01-15</c>.</summary>
    public string Name => LocalDatePattern.Iso.Format(Span.Start.InZone(Zone).Date);
}

/// <summary>
/// Cuts a customer's time into billing periods that never overlap: the contract's periods while a
/// contract covers the time (a stub first, cut at its end), calendar months in the customer's zone
/// otherwise, cut where a contract starts or ends (docs/invoicing.md#period-close). Invoices and tier
/// totals (docs/pricing.md#tiers) use these periods.
/// </summary>
public static class CustomerPeriods
{
    public static CustomerPeriod Of(Customer customer, Instant at)
    {
        if (customer.Contracts.FirstOrDefault(c => c.Covers(at)) is { } contract)
        {
            var period = contract.PeriodOf(at);
            var end = contract.EndsAt is { } e && e < period.End ? e : period.End;
            return new CustomerPeriod(new Interval(period.Start, end), contract, BillingPeriods.Zone(contract.TimeZone));
        }
        var zone = BillingPeriods.Zone(customer.TimeZone);
        var month = BillingPeriods.MonthOf(at, zone);
        var from = customer.Contracts.Select(c => c.EndsAt).OfType<Instant>().Where(end => end <= at && end > month.Start)
            .DefaultIfEmpty(month.Start).Max();
        var to = customer.Contracts.Select(c => c.StartsAt).Where(start => start > at && start < month.End)
            .DefaultIfEmpty(month.End).Min();
        return new CustomerPeriod(new Interval(from, to), null, zone);
    }

    /// <summary>
    /// The period named by <paramref name="name"/>: the local date it starts on (<c>2027-01-15</c>), or the
    /// instant it starts at (RFC 3339). Null when no period of the customer starts there.
    /// </summary>
    public static CustomerPeriod? Named(Customer customer, string name)
    {
        if (Hosting.RequestValues.TryInstant(name, out var instant))
            return Of(customer, instant) is var exact && exact.Span.Start == instant ? exact : null;
        if (LocalDatePattern.Iso.Parse(name) is not { Success: true } parsed) return null;
        var date = parsed.Value;
        // The period containing the last moment of that day starts on it, if any period does.
        foreach (var zone in Zones(customer).Distinct())
        {
            var lastMoment = zone.AtStartOfDay(date.PlusDays(1)).ToInstant() - Duration.Epsilon;
            var candidate = Of(customer, lastMoment);
            if (candidate.Span.Start.InZone(candidate.Zone).Date == date) return candidate;
            var first = Of(customer, zone.AtStartOfDay(date).ToInstant());
            if (first.Span.Start.InZone(first.Zone).Date == date) return first;
        }
        return null;
    }

    private static IEnumerable<DateTimeZone> Zones(Customer customer) =>
        customer.Contracts.Select(c => BillingPeriods.Zone(c.TimeZone)).Prepend(BillingPeriods.Zone(customer.TimeZone));
}
