using System.Globalization;
using Ledger.Customers;
using Ledger.Kernel;
using NodaTime;
using NodaTime.Text;

namespace Ledger.Contracts;

public sealed record CycleView(string Kind, int? AnchorDay, int? AnchorMonth, string? Length)
{
    public static CycleView Of(BillingCycle c) => c.Kind switch
    {
        CycleKind.Month => new("month", c.AnchorDay, null, null),
        CycleKind.Year => new("year", c.AnchorDay, c.AnchorMonth, null),
        _ => new("custom", null, null, PeriodPattern.NormalizingIso.Format(c.Length!))
    };
}

public sealed record FeeView(string Amount, string Timing);
public sealed record IncludedQuantityView(string Meter, string? Model, string Quantity);
public sealed record AllowanceView(string? Amount, IReadOnlyList<IncludedQuantityView>? Quantities);
public sealed record OverageView(string DiscountPercent, IReadOnlyDictionary<string, Dictionary<string, string>> Rules);
public sealed record AmountView(string Amount);

/// <summary>Contract terms as the API shows them; money and quantities as decimal strings.</summary>
public sealed record TermsView(FeeView? Fee, AllowanceView? Included, OverageView? Overage, AmountView? MinimumCommitment)
{
    public static TermsView Of(ContractTerms t) => new(
        t.Fee is { } f ? new FeeView(f.Amount.ToString(), f.Timing.ToString().ToLowerInvariant()) : null,
        t.Included is { } i
            ? new AllowanceView(i.Amount?.ToString(), i.Amount is null ? i.Quantities.Select(q => new IncludedQuantityView(q.Meter, q.Model, Text(q.Quantity))).ToList() : null)
            : null,
        t.Overage is { } o ? new OverageView(Text(o.DiscountPercent), o.Rates.ToDictionary(r => r.Key, r => r.Value.ToDictionary(x => x.Key, x => Text(x.Value)))) : null,
        t.MinimumCommitment is { } m ? new AmountView(m.ToString()) : null);

    private static string Text(decimal d) => (d / 1.0000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);
}

public sealed record VersionView(int Amendment, Instant EffectiveAt, TermsView Terms, string? Reason, Instant RecordedAt, string RecordedBy);

public sealed record PeriodSpan(Instant From, Instant To);

/// <summary>A contract: its cycle, the terms in force now, every version, and (while it runs) the current billing period.</summary>
public sealed record ContractView(string Id, string Customer, string Currency, string Status, Instant StartsAt, Instant? EndsAt, string? EndReason,
    string TimeZone, CycleView Period, TermsView Terms, IReadOnlyList<VersionView> Versions, PeriodSpan? CurrentPeriod)
{
    public static ContractView Of(Customer customer, Contract c, Instant now)
    {
        var status = now < c.StartsAt ? "scheduled" : c.Covers(now) ? "active" : "ended";
        PeriodSpan? current = null;
        if (status == "active")
        {
            var period = c.PeriodOf(now);
            current = new PeriodSpan(period.Start, c.EndsAt is { } end && end < period.End ? end : period.End);
        }
        return new ContractView(c.ContractId, customer.CustomerId, customer.Currency, status, c.StartsAt, c.EndsAt, c.EndReason, c.TimeZone, CycleView.Of(c.Cycle),
            TermsView.Of(c.VersionAt(now < c.StartsAt ? c.StartsAt : now).Terms),
            c.Versions.Select(v => new VersionView(v.Amendment, v.EffectiveAt, TermsView.Of(v.Terms), v.Reason, v.RecordedAt, v.RecordedBy)).ToList(),
            current);
    }
}

/// <summary>Which customer holds a contract: contracts live in their customer's stream, addressed by contract id.</summary>
public sealed class ContractRef
{
    public string Id { get; set; } = "";
    public string CustomerId { get; set; } = "";
}
