using Ledger.Customers;
using Ledger.Hosting;
using Ledger.Kernel;
using Ledger.Rating;
using Marten;
using NodaTime;

namespace Ledger.Budgets;

/// <summary>
/// After each rating batch: the spend of every customer with a budget whose spend the batch changed,
/// in each budget period it changed, against the thresholds of the budget in force when the usage
/// was recorded (so a later budget change never raises alerts about earlier usage, live or in a rebuild). A threshold reached is recorded
/// as <see cref="BudgetThresholdCrossed"/> once per period (and then announced by webhook).
/// </summary>
public sealed class BudgetWatch(RatedUsageStore store)
{
    public async Task CheckAsync(IDocumentOperations ops, IReadOnlyCollection<RatedRow> rows, RatingTerms terms,
        IReadOnlyDictionary<(string Customer, Instant Bucket), SpendChange> spendChanges, CancellationToken ct)
    {
        // Each rated row is checked against the budget in force when it was recorded, in that budget's period.
        var touched = rows.Where(r => r.Outcome is Pricing.Rated)
            .Select(r => (Row: r, Customer: terms.CustomerOf(r.Usage.CustomerId)))
            .Select(x => (x.Row, x.Customer, Budget: x.Customer?.BudgetAt(x.Row.Usage.RecordedAt)))
            .Where(x => x.Budget is not null)
            .GroupBy(x => (x.Row.Usage.CustomerId, Period: BillingPeriods.Of(x.Budget!.Period, x.Row.Usage.UsageAt, BillingPeriods.Zone(x.Customer!.TimeZone))))
            .ToList();
        if (touched.Count == 0) return;

        // Stored spend (committed batches) plus this batch's change, which commits with what it records here.
        var stored = await store.StoredSpendAsync(touched.Select(g => g.Key).ToList(), ct);
        var crossings = new List<(string StreamKey, BudgetThresholdCrossed Event)>();
        foreach (var group in touched)
        {
            var (customerId, period) = group.Key;
            var (last, _, budget) = group.MaxBy(x => x.Row.Sequence);
            var spend = stored.GetValueOrDefault((customerId, period)) +
                        spendChanges.Where(c => c.Key.Customer == customerId && period.Contains(c.Key.Bucket)).Sum(c => c.Value.Amount);
            foreach (var threshold in budget!.AlertThresholds.Where(t => spend >= budget.Amount.Amount * t))
                crossings.Add((BudgetThresholdCrossed.StreamKey(customerId, period.Start, threshold),
                    new BudgetThresholdCrossed(customerId, period.Start, period.End, threshold, budget.Amount,
                        new Money(spend, budget.Amount.Currency), last.Sequence, last.Usage.RecordedAt)));
        }
        // Skipping those already recorded only saves statements: the append itself records a fact once.
        var recorded = await store.ExistingStreamsAsync(crossings.Select(c => c.StreamKey).ToList(), ct);
        foreach (var (key, crossed) in crossings.Where(c => !recorded.Contains(c.StreamKey)))
            RaisedEvents.QueueAppendOnce(ops, key, crossed, crossed.DetectedAt);
    }
}
