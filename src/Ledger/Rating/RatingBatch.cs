using Ledger.Credits;
using Ledger.Customers;
using Ledger.Pricing;
using Ledger.Usage;
using JasperFx.Events;
using Marten;
using NodaTime;

namespace Ledger.Rating;

/// <summary>
/// The work of one daemon batch: the rows it rates (with the terms as of each event), how credits pay
/// them, and the tier totals and spend it moves.
/// </summary>
internal sealed class RatingBatch(IDocumentOperations ops, RatedUsageStore store, Rater rater, RatingTerms terms, CreditBook credits, CreditStore creditStore)
{
    public CreditBook Credits => credits;

    private readonly Dictionary<long, RatedRow> _rows = new();
    /// <summary>Stored rows read by this batch, as committed (rated again, or paid again by a top-up): what the batch's changes are measured against.</summary>
    private readonly Dictionary<long, UsageCredit> _stored = new();
    /// <summary>Stored rows whose payment changed but not their rating (covered by a top-up).</summary>
    private readonly Dictionary<long, UsageCredit> _repaid = new();
    private readonly TierCounters _tiers = new();
    private readonly IncludedUnitCounters _included = new();

    /// <summary>Before any usage the ledger can hold (a re-rating of "everything" starts here).</summary>
    private static readonly Instant Beginning = Instant.FromUtc(1, 1, 1, 0, 0);

    /// <summary>Top-ups read accrued overage in pages of this many events.</summary>
    private const int CoverPage = 1_000;

    public IReadOnlyCollection<RatedRow> Rows => _rows.Values;

    /// <summary>Loads the stored tier totals of the periods the batch's usage falls in, and the credit accounts of its customers.</summary>
    public async Task PrepareAsync(IReadOnlyList<IEvent> events, CancellationToken ct)
    {
        var usage = events.Select(e => e.Data).OfType<UsageRecorded>().ToList();
        await credits.LoadAsync(usage.Select(u => u.CustomerId), ct);
        var holds = events.Select(e => e.Data switch { HoldSettled s => s.HoldId, HoldEnded h => h.HoldId, _ => null }).OfType<string>().ToHashSet();
        await credits.LoadHoldsAsync(holds, usage.Select(u => u.CustomerId).ToHashSet(), ct);
        var allowances = usage.Select(u => (u.CustomerId, Segment: credits.Allowances.SegmentAt(terms.CustomerOf(u.CustomerId), u.UsageAt)))
            .Where(x => x.Segment is not null).Select(x => new AllowanceKey(x.CustomerId, x.Segment!.ContractId, x.Segment.Span.Start)).Distinct();
        await creditStore.LoadAllowancesAsync(credits.Allowances, credits.Allowances.ToLoad(allowances).ToList(), ct);
        var included = usage.SelectMany(u => _included.PoolsAt(terms.CustomerOf(u.CustomerId), u.UsageAt).Select(p => IncludedKey.Of(u.CustomerId, p))).Distinct();
        await store.LoadIncludedUnitsAsync(_included, _included.ToLoad(included), ct);
        // A tier published within this batch starts its totals at zero: no usage was counted under it before.
        if (!terms.AnyTiers) return;
        var periods = usage
            .Select(u => (u.CustomerId, Customer: terms.CustomerOf(u.CustomerId), u.UsageAt))
            .Where(x => x.Customer is not null)
            .Select(x => (x.CustomerId, CustomerPeriods.Of(x.Customer!, x.UsageAt).Span.Start))
            .ToHashSet();
        await store.LoadTierTotalsAsync(_tiers, periods, ct);
    }

    /// <summary>Rates a new usage event; a hold waiting for it ends once it is rated.</summary>
    public async Task RateNewAsync(long sequence, UsageRecorded usage, CancellationToken ct)
    {
        Rate(sequence, usage, new Cause(sequence, usage.RecordedAt));
        if (_rows[sequence].Outcome is Rated) await credits.UsageRatedAsync(usage.Source, usage.EventId, sequence, ct);
    }

    /// <summary>A hold names its usage event: rated in this batch, or by an earlier one?</summary>
    public Task SettleHoldAsync(HoldSettled settled, long sequence, CancellationToken ct) =>
        credits.SettleAsync(settled, sequence,
            _rows.Values.Any(r => r.Outcome is Rated && r.Usage.Source == settled.Source && r.Usage.EventId == settled.EventId), ct);

    /// <summary>Rates one usage event (again) and settles the change of its amount with the customer's credits.</summary>
    public void Rate(long sequence, UsageRecorded usage, Cause cause)
    {
        var customer = terms.CustomerOf(usage.CustomerId);
        var book = terms.BookOf(customer?.PriceBookAt(usage.UsageAt));
        var outcome = rater.Rate(usage, customer, book, _tiers, _included.Take(customer, usage));
        var before = _rows.TryGetValue(sequence, out var earlier) ? earlier.Credit
            : _repaid.Remove(sequence, out var repaid) ? repaid
            : _stored.GetValueOrDefault(sequence);
        var rated = outcome as Rated;
        var credit = new UsageCredit(sequence, usage.CustomerId, usage.UsageAt, rated?.Amount.Currency, rated?.Amount.Amount ?? 0m);
        credits.Settle(before, credit, cause);
        _rows[sequence] = new RatedRow(sequence, usage, outcome, credit);
    }

    /// <summary>
    /// Rates the customer's usage again from the start of the billing period containing
    /// <paramref name="from"/> (all of it when null), in ledger order, with its tier totals counted afresh.
    /// A contract segment's allowance is drawn by its usage in ledger order, so the allowances are counted
    /// afresh too, from the start of the contract period that rating starts in: usage from there up to the
    /// rating start keeps its amount and is paid again (<see cref="Redraw"/>).
    /// </summary>
    public async Task RerateAsync(string customerId, Instant? from, Cause cause, CancellationToken ct)
    {
        var customer = terms.CustomerOf(customerId);
        if (customer is null) return;
        await credits.LoadAsync([customerId], ct);
        // Tier totals count per billing period (CustomerPeriods). A contract's start or end moves period boundaries, so counting starts
        // afresh at the start of the period (as the terms are now) that holds the earlier of the period and the calendar month
        // containing `from`: totals kept under the boundaries before the change are cleared with the rest.
        var start = from is { } at
            ? CustomerPeriods.Of(customer, Instant.Min(BillingPeriods.MonthOf(at, BillingPeriods.Zone(customer.TimeZone)).Start,
                CustomerPeriods.Of(customer, at).Span.Start)).Span.Start
            : Beginning;
        var redrawFrom = customer.ContractAt(start)?.PeriodOf(start).Start ?? start;
        var earlier = await store.LoadForReratingAsync(customerId, redrawFrom, ct);
        foreach (var (_, _, stored) in earlier) _stored.TryAdd(stored.Sequence, stored);
        var pending = _rows.Values.Where(r => r.Usage.CustomerId == customerId && r.Usage.UsageAt >= redrawFrom).Select(r => (r.Sequence, r.Usage));
        var usage = earlier.Select(r => (r.Sequence, r.Usage)).Concat(pending).DistinctBy(r => r.Sequence).OrderBy(r => r.Sequence).ToList();

        _tiers.Reset(customerId, start);
        RatedUsageStore.QueueTierReset(ops, customerId, start);
        if (customer.Contracts.Count > 0)
        {
            credits.Allowances.Reset(customerId, redrawFrom);
            CreditStore.QueueAllowanceReset(ops, customerId, redrawFrom);
            _included.Reset(customerId, redrawFrom);
            RatedUsageStore.QueueIncludedReset(ops, customerId, redrawFrom);
        }
        foreach (var (sequence, recorded) in usage)
            if (recorded.UsageAt >= start) Rate(sequence, recorded, cause);
            else Redraw(sequence, recorded, cause);
    }

    /// <summary>
    /// Pays a usage event again at its current amount (its contract segment's allowance is being counted afresh). It takes
    /// its included units again too, which gives it the same ones as before: those depend only on the usage before it.
    /// </summary>
    private void Redraw(long sequence, UsageRecorded usage, Cause cause)
    {
        _included.Take(terms.CustomerOf(usage.CustomerId), usage);
        if (_rows.TryGetValue(sequence, out var row))
        {
            _rows[sequence] = row with { Credit = Again(row.Credit) };
            return;
        }
        _repaid[sequence] = Again(_repaid.GetValueOrDefault(sequence) ?? _stored[sequence]);

        UsageCredit Again(UsageCredit before)
        {
            var after = new UsageCredit(before.Sequence, before.CustomerId, before.UsageAt, before.Currency, before.Amount);
            credits.Settle(before, after, cause);
            return after;
        }
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
        // The batch's own rows by the same rule as the stored ones (priced by this book, or unpriced): a customer on another
        // book is not rated again, which in a rebuild would re-rate a large customer for every book published in its batch.
        var stored = await store.CustomersAffectedByAsync(published.PriceBookId, published.EffectiveFrom, ct);
        var pending = _rows.Values
            .Where(r => r.Usage.UsageAt >= published.EffectiveFrom && (r.Outcome is Unpriced || (r.Outcome as Rated)?.PriceBookId == published.PriceBookId))
            .Select(r => r.Usage.CustomerId);
        return stored.Concat(pending).Distinct().ToList();
    }

    /// <summary>
    /// A new grant: recorded, then (when in force at once) it pays the customer's usage that went
    /// uncovered in the open billing period, in ledger order, as far as it reaches.
    /// </summary>
    public async Task GrantAsync(CreditGranted granted, Cause cause, CancellationToken ct)
    {
        await credits.LoadAsync([granted.CustomerId], ct);
        if (credits.Grant(granted, cause.Sequence) is not { } grant) return;
        var customer = terms.CustomerOf(granted.CustomerId);
        if (customer is not null && grant.PaysAt(grant.Currency, cause.At))
        {
            var period = BillingPeriods.MonthOf(granted.GrantedAt, BillingPeriods.Zone(customer.TimeZone));
            var covered = new List<(long Sequence, decimal Amount)>();
            await foreach (var usage in UncoveredAsync(granted.CustomerId, period, ct))
            {
                if (grant.Remaining <= 0) break;
                if (CreditBook.Cover(grant, usage, cause.Sequence) is var paid and > 0) covered.Add((usage.Sequence, paid));
            }
            if (covered.Count > 0)
                credits.Record(AccruedOverageCovered.StreamKey(granted.CustomerId, granted.GrantId),
                    new AccruedOverageCovered(granted.CustomerId, granted.GrantId, new Kernel.Money(covered.Sum(c => c.Amount), grant.Currency),
                        covered.Count, covered[0].Sequence, covered[^1].Sequence, cause.Sequence, cause.At), cause.At);
        }
        credits.ToppedUp(grant);
    }

    /// <summary>
    /// The customer's usage in <paramref name="period"/> as the batch has it now, in ledger order, that
    /// may be uncovered: stored rows (as this batch changed them, if it did) merged with the batch's own.
    /// </summary>
    private async IAsyncEnumerable<UsageCredit> UncoveredAsync(string customerId, Interval period,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var inBatch = _rows.Values.Select(r => r.Credit).Concat(_repaid.Values)
            .Where(u => u.CustomerId == customerId && period.Contains(u.UsageAt)).OrderBy(u => u.Sequence).ToList();
        var changedHere = inBatch.Select(u => u.Sequence).ToHashSet();
        var next = 0;
        for (long after = 0; ;)
        {
            var page = await creditStore.LoadUncoveredAsync(customerId, period, after, CoverPage, ct);
            foreach (var stored in page)
            {
                after = stored.Sequence;
                while (next < inBatch.Count && inBatch[next].Sequence < stored.Sequence) yield return inBatch[next++];
                if (changedHere.Contains(stored.Sequence)) continue;
                _stored.TryAdd(stored.Sequence, stored.Copy());
                _repaid[stored.Sequence] = stored;
                yield return stored;
            }
            if (page.Count < CoverPage) break;
        }
        while (next < inBatch.Count) yield return inBatch[next++];
    }

    /// <summary>How the batch changes each customer's rated and uncovered spend, per quarter-hour bucket of usage time.</summary>
    public Dictionary<(string Customer, Instant Bucket), SpendChange> SpendChanges()
    {
        var deltas = new Dictionary<(string, Instant), SpendChange>();
        foreach (var now in _rows.Values.Select(r => r.Credit).Concat(_repaid.Values))
        {
            var before = _stored.GetValueOrDefault(now.Sequence);
            var change = new SpendChange(now.Amount - (before?.Amount ?? 0m), now.Uncovered - (before?.Uncovered ?? 0m));
            if (change.IsZero) continue;
            var key = (now.CustomerId, RatedUsageStore.SpendBucket(now.UsageAt));
            deltas[key] = deltas.GetValueOrDefault(key) + change;
        }
        return deltas;
    }

    /// <summary>Queues the batch's rows, payments, spend, tier totals and credit changes into the daemon's transaction.</summary>
    public async Task QueueAsync(IReadOnlyDictionary<(string Customer, Instant Bucket), SpendChange> spend, long position, CancellationToken ct)
    {
        RatedUsageStore.QueueRows(ops, _rows.Values);
        CreditStore.QueuePayments(ops, _repaid.Values);
        RatedUsageStore.QueueSpend(ops, spend);
        RatedUsageStore.QueueTierTotals(ops, _tiers.TakeChanges());
        RatedUsageStore.QueueIncludedUnits(ops, _included.Changes());
        await credits.QueueAsync(ops, position, ct);
    }
}

/// <summary>A change of rated spend and of the part of it credits did not cover.</summary>
public readonly record struct SpendChange(decimal Amount, decimal Uncovered)
{
    public bool IsZero => Amount == 0 && Uncovered == 0;
    public static SpendChange operator +(SpendChange a, SpendChange b) => new(a.Amount + b.Amount, a.Uncovered + b.Uncovered);
}
