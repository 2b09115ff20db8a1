using Ledger.Customers;
using Ledger.Hosting;
using Ledger.Kernel;
using Ledger.Rating;
using Marten;
using NodaTime;
using Npgsql;

namespace Ledger.Budgets;

/// <summary>
/// After each rating batch: the spend of every touched customer that has a budget, in each budget
/// period the batch touched, against the budget's thresholds. A threshold reached is recorded as
/// <see cref="BudgetThresholdCrossed"/> once per period (and then announced by webhook).
/// </summary>
public sealed class BudgetWatch(NpgsqlDataSource db)
{
    public async Task CheckAsync(IDocumentOperations ops, IReadOnlyCollection<RatedRow> rows, IReadOnlyDictionary<string, Customer?> customers, CancellationToken ct)
    {
        var touched = rows.Where(r => r.Outcome is Pricing.Rated && customers.GetValueOrDefault(r.Usage.CustomerId)?.Budget is not null)
            .GroupBy(r => (r.Usage.CustomerId, Period: PeriodOf(customers[r.Usage.CustomerId]!, r.Usage.UsageAt)))
            .ToList();
        if (touched.Count == 0) return;

        var stored = await StoredSpendAsync(touched.Select(g => g.Key).ToList(), rows.Select(r => r.Sequence).ToArray(), ct);
        foreach (var group in touched)
        {
            var customer = customers[group.Key.CustomerId]!;
            var budget = customer.Budget!;
            var spend = stored.GetValueOrDefault(group.Key) + group.Sum(r => r.Amount ?? 0m);
            var last = group.MaxBy(r => r.Sequence)!;
            foreach (var threshold in budget.AlertThresholds.Where(t => spend >= budget.Amount.Amount * t))
                RaisedEvents.QueueAppendOnce(ops, BudgetThresholdCrossed.StreamKey(customer.CustomerId, group.Key.Period.Start, threshold),
                    new BudgetThresholdCrossed(customer.CustomerId, group.Key.Period.Start, group.Key.Period.End, threshold, budget.Amount,
                        new Money(spend, budget.Amount.Currency), last.Sequence, last.Usage.RecordedAt),
                    last.Usage.RecordedAt);
        }
    }

    private static Interval PeriodOf(Customer customer, Instant at) =>
        BillingPeriods.Of(customer.Budget!.Period, at, BillingPeriods.Zone(customer.TimeZone));

    /// <summary>Spend already stored per (customer, period), leaving out the rows this batch rewrites.</summary>
    private async Task<Dictionary<(string, Interval), decimal>> StoredSpendAsync(List<(string Customer, Interval Period)> keys, long[] rewritten, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            select p.c, p.f, p.t, coalesce(sum(r.amount), 0)
            from unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) as p(c, f, t)
            left join ledger.rated_usage r on r.customer_id = p.c and r.usage_at >= p.f and r.usage_at < p.t and r.status = 'rated'
                and not exists (select 1 from unnest($4::bigint[]) as x(s) where x.s = r.seq)
            group by p.c, p.f, p.t
            """);
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.Customer).ToArray() });
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.Period.Start.ToDateTimeUtc()).ToArray() });
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.Period.End.ToDateTimeUtc()).ToArray() });
        cmd.Parameters.Add(new() { Value = rewritten });
        var spend = new Dictionary<(string, Interval), decimal>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            spend[(reader.GetString(0), new Interval(Instant.FromDateTimeUtc(reader.GetDateTime(1)), Instant.FromDateTimeUtc(reader.GetDateTime(2))))] = reader.GetDecimal(3);
        return spend;
    }
}
