using Ledger.Customers;
using Ledger.Pricing;
using Ledger.Usage;
using JasperFx.Events;
using Marten;
using NodaTime;

namespace Ledger.Rating;

/// <summary>The work of one daemon batch: the terms it needs, the rows it rates, the tier totals it moves.</summary>
internal sealed class RatingBatch(IDocumentOperations ops, RatedUsageStore store, Rater rater)
{
    private readonly Dictionary<long, RatedRow> _rows = new();
    /// <summary>The amount already stored for rows rated again (absent: a new row, or one stored without an amount).</summary>
    private readonly Dictionary<long, decimal> _stored = new();
    private readonly Dictionary<string, Customer?> _customers = new();
    private readonly Dictionary<string, PriceBook?> _books = new();
    private readonly TierCounters _tiers = new();

    /// <summary>Before any usage the ledger can hold (a re-rating of "everything" starts here).</summary>
    private static readonly Instant Beginning = Instant.FromUtc(1, 1, 1, 0, 0);

    public IReadOnlyCollection<RatedRow> Rows => _rows.Values;
    public IReadOnlyDictionary<string, Customer?> Customers => _customers;

    /// <summary>Loads, in a few queries, every customer and price book the batch refers to and the tier totals of its periods.</summary>
    public async Task PrepareAsync(IReadOnlyList<IEvent> events, CancellationToken ct)
    {
        var customerIds = new HashSet<string>();
        foreach (var e in events)
            switch (e.Data)
            {
                case UsageRecorded u: customerIds.Add(u.CustomerId); break;
                case CustomerTermsSet t: customerIds.Add(t.CustomerId); break;
                case CustomerOverridesSet o: customerIds.Add(o.CustomerId); break;
            }
        await LoadCustomersAsync(customerIds, ct);
        await LoadBooksAsync(_customers.Values.Where(c => c is not null).SelectMany(c => c!.PriceBooks).Select(p => p.PriceBook)
            .Concat(events.Select(e => (e.Data as PriceBookVersionPublished)?.PriceBookId)), ct);

        var periods = events.Select(e => e.Data).OfType<UsageRecorded>()
            .Select(u => (u.CustomerId, Customer: _customers.GetValueOrDefault(u.CustomerId), u.UsageAt))
            .Where(x => x.Customer is not null)
            .Select(x => (x.CustomerId, BillingPeriods.MonthOf(x.UsageAt, BillingPeriods.Zone(x.Customer!.TimeZone)).Start))
            .ToHashSet();
        await store.LoadTierTotalsAsync(_tiers, periods, ct);
    }

    public void Rate(long sequence, UsageRecorded usage)
    {
        var customer = _customers.GetValueOrDefault(usage.CustomerId);
        var bookId = customer?.PriceBookAt(usage.UsageAt);
        var book = bookId is null ? null : _books.GetValueOrDefault(bookId);
        _rows[sequence] = new RatedRow(sequence, usage, rater.Rate(usage, customer, book, _tiers));
    }

    /// <summary>
    /// Rates the customer's usage again from the start of the billing period containing
    /// <paramref name="from"/> (all of it when null), in ledger order, with its tier totals counted afresh.
    /// </summary>
    public async Task RerateAsync(string customerId, Instant? from, CancellationToken ct)
    {
        var customer = _customers.GetValueOrDefault(customerId);
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
    /// Where new terms may change prices: all of the customer's usage when it is created, gets its
    /// first price book (which prices everything sent before) or moves to another time zone (every
    /// billing period, hence every tier total, is counted in the customer's zone), otherwise usage
    /// from the change on.
    /// </summary>
    public async Task<Instant?> RerateFromAsync(CustomerTermsSet terms, long version, CancellationToken ct)
    {
        if (version == 1 || _customers.GetValueOrDefault(terms.CustomerId)?.FirstPriceBook?.From == terms.SetAt) return null;
        var before = await ops.Events.AggregateStreamAsync<Customer>(Customer.StreamKey(terms.CustomerId), version - 1, token: ct);
        return before is null || before.TimeZone != terms.TimeZone ? null : terms.SetAt;
    }

    public async Task<IEnumerable<string>> CustomersAffectedByAsync(PriceBookVersionPublished published, CancellationToken ct)
    {
        // Only usage from effective_from on can change price; RerateAsync moves each customer's start back to its period start.
        var stored = await store.CustomersAffectedByAsync(published.PriceBookId, published.EffectiveFrom, ct);
        var pending = _rows.Values.Where(r => r.Usage.UsageAt >= published.EffectiveFrom).Select(r => r.Usage.CustomerId);
        var customers = stored.Concat(pending).Distinct().ToList();
        await LoadCustomersAsync(customers, ct);
        return customers;
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

    private async Task LoadCustomersAsync(IEnumerable<string> ids, CancellationToken ct)
    {
        var missing = ids.Where(id => !_customers.ContainsKey(id)).ToList();
        if (missing.Count == 0) return;
        var found = await ops.LoadManyAsync<Customer>(ct, missing.Select(Customer.StreamKey).ToArray());
        foreach (var id in missing) _customers[id] = found.FirstOrDefault(c => c.CustomerId == id);
        await LoadBooksAsync(found.SelectMany(c => c.PriceBooks).Select(p => p.PriceBook), ct);
    }

    private async Task LoadBooksAsync(IEnumerable<string?> ids, CancellationToken ct)
    {
        var missing = ids.OfType<string>().Distinct().Where(id => !_books.ContainsKey(id)).ToList();
        if (missing.Count == 0) return;
        var found = await ops.LoadManyAsync<PriceBook>(ct, missing.Select(PriceBook.StreamKey).ToArray());
        foreach (var id in missing) _books[id] = found.FirstOrDefault(b => b.PriceBookId == id);
    }
}
