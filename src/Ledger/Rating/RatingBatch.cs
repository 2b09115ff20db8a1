using Ledger.Customers;
using Ledger.Pricing;
using Ledger.Usage;
using JasperFx.Events;
using Marten;
using NodaTime;

namespace Ledger.Rating;

/// <summary>The work of one daemon batch: the rows it rates (with the terms as of each event), the tier totals and spend it moves.</summary>
internal sealed class RatingBatch(IDocumentOperations ops, RatedUsageStore store, Rater rater, RatingTerms terms)
{
    private readonly Dictionary<long, RatedRow> _rows = new();
    /// <summary>The amount already stored for rows rated again (absent: a new row, or one stored without an amount).</summary>
    private readonly Dictionary<long, decimal> _stored = new();
    private readonly TierCounters _tiers = new();

    /// <summary>Before any usage the ledger can hold (a re-rating of "everything" starts here).</summary>
    private static readonly Instant Beginning = Instant.FromUtc(1, 1, 1, 0, 0);

    public IReadOnlyCollection<RatedRow> Rows => _rows.Values;

    /// <summary>Loads the stored tier totals of the periods the batch's usage falls in.</summary>
    public async Task PrepareAsync(IReadOnlyList<IEvent> events, CancellationToken ct)
    {
        // A tier published within this batch starts its totals at zero: no usage was counted under it before.
        if (!terms.AnyTiers) return;
        var periods = events.Select(e => e.Data).OfType<UsageRecorded>()
            .Select(u => (u.CustomerId, Customer: terms.CustomerOf(u.CustomerId), u.UsageAt))
            .Where(x => x.Customer is not null)
            .Select(x => (x.CustomerId, BillingPeriods.MonthOf(x.UsageAt, BillingPeriods.Zone(x.Customer!.TimeZone)).Start))
            .ToHashSet();
        await store.LoadTierTotalsAsync(_tiers, periods, ct);
    }

    public void Rate(long sequence, UsageRecorded usage)
    {
        var customer = terms.CustomerOf(usage.CustomerId);
        var book = terms.BookOf(customer?.PriceBookAt(usage.UsageAt));
        _rows[sequence] = new RatedRow(sequence, usage, rater.Rate(usage, customer, book, _tiers));
    }

    /// <summary>
    /// Rates the customer's usage again from the start of the billing period containing
    /// <paramref name="from"/> (all of it when null), in ledger order, with its tier totals counted afresh.
    /// </summary>
    public async Task RerateAsync(string customerId, Instant? from, CancellationToken ct)
    {
        var customer = terms.CustomerOf(customerId);
        if (customer is null) return;
        var start = from is { } at ? BillingPeriods.MonthOf(at, BillingPeriods.Zone(customer.TimeZone)).Start : Beginning;
        var earlier = await store.LoadForReratingAsync(customerId, start, ct);
        foreach (var (sequence, _, stored) in earlier)
            if (stored is { } amount) _stored[sequence] = amount;
        var pending = _rows.Values.Where(r => r.Usage.CustomerId == customerId && r.Usage.UsageAt >= start).Select(r => (r.Sequence, r.Usage));
        var usage = earlier.Select(r => (r.Sequence, r.Usage)).Concat(pending).DistinctBy(r => r.Sequence).OrderBy(r => r.Sequence).ToList();

        _tiers.Reset(customerId, start);
        RatedUsageStore.QueueTierReset(ops, customerId, start);
        foreach (var (sequence, recorded) in usage) Rate(sequence, recorded);
    }

    /// <summary>
    /// Where new terms may change prices, judged against the customer's terms just before them: all of
    /// its usage when it is created, gets its first price book (which prices everything sent before) or
    /// moves to another time zone (every billing period, hence every tier total, is counted in the
    /// customer's zone), otherwise usage from the change on.
    /// </summary>
    public static Instant? RerateFrom(Customer? before, CustomerTermsSet terms) =>
        before is null || (before.FirstPriceBook is null && terms.PriceBook is not null) || before.TimeZone != terms.TimeZone
            ? null
            : terms.SetAt;

    public async Task<IEnumerable<string>> CustomersAffectedByAsync(PriceBookVersionPublished published, CancellationToken ct)
    {
        // Only usage from effective_from on can change price; RerateAsync moves each customer's start back to its period start.
        var stored = await store.CustomersAffectedByAsync(published.PriceBookId, published.EffectiveFrom, ct);
        var pending = _rows.Values.Where(r => r.Usage.UsageAt >= published.EffectiveFrom).Select(r => r.Usage.CustomerId);
        return stored.Concat(pending).Distinct().ToList();
    }

    /// <summary>How the batch changes each customer's rated spend, per quarter-hour bucket of usage time.</summary>
    public Dictionary<(string Customer, Instant Bucket), decimal> SpendChanges()
    {
        var deltas = new Dictionary<(string, Instant), decimal>();
        foreach (var row in _rows.Values)
        {
            var delta = (row.Amount ?? 0m) - _stored.GetValueOrDefault(row.Sequence);
            if (delta == 0) continue;
            var key = (row.Usage.CustomerId, RatedUsageStore.SpendBucket(row.Usage.UsageAt));
            deltas[key] = deltas.GetValueOrDefault(key) + delta;
        }
        return deltas;
    }

    /// <summary>Queues the batch's rows, spend and tier totals into the daemon's transaction.</summary>
    public void Queue(IReadOnlyDictionary<(string Customer, Instant Bucket), decimal> spend)
    {
        RatedUsageStore.QueueRows(ops, _rows.Values);
        RatedUsageStore.QueueSpend(ops, spend);
        RatedUsageStore.QueueTierTotals(ops, _tiers.TakeChanges());
    }
}
