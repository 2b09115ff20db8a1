using Ledger.Kernel;
using NodaTime;
using NodaTime.Text;

namespace Ledger.Contracts;

/// <summary>The money allowance of one segment of a billing period: usage whose time falls in <see cref="Span"/> draws it first.</summary>
public sealed record AllowanceSegment(string ContractId, Interval Span, Money Amount)
{
    /// <summary>The name its drawdowns carry on rated usage rows (<see cref="ContractAllowances.GrantId"/>).</summary>
    public string GrantId { get; } = ContractAllowances.GrantId(ContractId, Span.Start);
}

/// <summary>
/// Units of a meter (of one model, or of any model when <see cref="Model"/> is null) that the usage of <see cref="Span"/>
/// gets free: the first <see cref="Quantity"/> units, in ledger order. Units beyond are priced.
/// </summary>
public sealed record IncludedUnits(string ContractId, Interval Span, string Meter, string? Model, decimal Quantity);

/// <summary>
/// Where a contract's included money allowance is, segment by segment: the period's <c>included.amount</c>
/// prorated to each segment against the full period, consecutive segments with the same allowance split by
/// largest remainder (the rule of the fee lines, docs/invoicing.md#proration-and-rounding), so the segments'
/// allowances add up to the allowance prorated once.
/// </summary>
/// <remarks>
/// Drawdowns from a segment's allowance are recorded on rated usage like credit drawdowns, under the grant id
/// <c>allowance:{contract id}:{segment start}</c> (the start in UTC, ISO 8601, e.g. <c>allowance:acme-2027:2027-01-01T00:00:00Z</c>;
/// fractions of a second only when the start has some). Credit grants cannot take a reference with this prefix, so the two never
/// collide. The allowance is not prepaid credit: it never shows in credit balances (docs/invoicing.md#allowance-credits-and-overage).
/// </remarks>
public static class ContractAllowances
{
    public const string Prefix = "allowance:";

    public static string GrantId(string contractId, Instant segmentStart) => $"{Prefix}{contractId}:{InstantPattern.ExtendedIso.Format(segmentStart)}";

    public static bool IsAllowance(string grantId) => grantId.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The money allowances of the billing period containing <paramref name="at"/> (none outside the contract or without a money allowance).</summary>
    public static IReadOnlyList<AllowanceSegment> Of(Contract contract, Instant at)
    {
        if (!contract.Covers(at)) return [];
        var period = contract.PeriodOf(at);
        var full = contract.Cycle.FullPeriodOf(contract.StartsAt, at, Customers.BillingPeriods.Zone(contract.TimeZone));
        var allowances = new List<AllowanceSegment>();
        foreach (var run in Contract.Runs(contract.Segments(period), t => t.Included?.Amount))
        {
            var amount = run[0].Version.Terms.Included!.Amount!.Value;
            var parts = Proration.Split(amount, full, run.Select(s => s.Span).ToList());
            allowances.AddRange(run.Select((s, i) => new AllowanceSegment(contract.ContractId, s.Span, parts[i])));
        }
        return allowances;
    }

    /// <summary>The money allowance that usage at <paramref name="at"/> draws, or null.</summary>
    public static AllowanceSegment? At(Contract contract, Instant at)
    {
        foreach (var segment in Of(contract, at))
            if (segment.Span.Contains(at)) return segment;
        return null;
    }

    /// <summary>
    /// The included units of the segment containing <paramref name="at"/> (<c>included.quantities</c>): each quantity
    /// prorated by the segment's fraction of the full period, kept exact (not rounded to whole units).
    /// </summary>
    public static IReadOnlyList<IncludedUnits> UnitsAt(Contract contract, Instant at)
    {
        if (!contract.Covers(at)) return [];
        var period = contract.PeriodOf(at);
        var segment = contract.Segments(period).FirstOrDefault(s => s.Span.Contains(at));
        if (segment?.Version.Terms.Included is not { Amount: null, Quantities.Count: > 0 } included) return [];
        var full = contract.Cycle.FullPeriodOf(contract.StartsAt, at, Customers.BillingPeriods.Zone(contract.TimeZone));
        return included.Quantities.Select(q => new IncludedUnits(contract.ContractId, segment.Span, q.Meter, q.Model, Proration.Share(q.Quantity, segment.Span, full))).ToList();
    }
}
