using Ledger.Pricing;
using Ledger.Usage;
using Marten;
using NodaTime;
using Npgsql;

namespace Ledger.Rating;

/// <summary>
/// The SQL of the rating projection. (Queued commands take DateTimeOffset: Marten maps DateTime to
/// timestamp without time zone.) Reads go to committed data (earlier batches); writes are queued
/// into the daemon's transaction, so a batch's rows and its progress commit together, set-based: one
/// statement for all rows of a batch, whatever its size.
/// </summary>
public sealed class RatedUsageStore(NpgsqlDataSource db)
{
    /// <summary>The customer's usage events rated before, from <paramref name="from"/> on, in ledger order, with the amount stored for each (null when not rated).</summary>
    public async Task<List<(long Sequence, UsageRecorded Usage, Credits.UsageCredit Stored)>> LoadForReratingAsync(string customerId, Instant from, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            select e.seq_id, e.data, r.usage_at, r.currency, r.amount, r.uncovered, r.drawdowns
            from ledger.rated_usage r join ledger.mt_events e on e.seq_id = r.seq
            where r.customer_id = $1 and r.usage_at >= $2 order by r.seq
            """);
        cmd.Parameters.Add(new() { Value = customerId });
        cmd.Parameters.Add(new() { Value = from.ToDateTimeOffset() });
        var rows = new List<(long, UsageRecorded, Credits.UsageCredit)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add((reader.GetInt64(0), System.Text.Json.JsonSerializer.Deserialize<UsageRecorded>(reader.GetString(1), RatingJson.Options)!,
                Credits.CreditStore.Read(reader, 0, customerId, 2, 3, 4, 5, 6)));
        return rows;
    }

    /// <summary>Customers with usage from <paramref name="from"/> on that a new version of <paramref name="priceBook"/> may price differently.</summary>
    public async Task<List<string>> CustomersAffectedByAsync(string priceBook, Instant from, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            select distinct customer_id from ledger.rated_usage
            where usage_at >= $2 and (price_book = $1 or status = 'unpriced')
            """);
        cmd.Parameters.Add(new() { Value = priceBook });
        cmd.Parameters.Add(new() { Value = from.ToDateTimeUtc() });
        var customers = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) customers.Add(reader.GetString(0));
        return customers;
    }

    /// <summary>Loads the stored running totals of the given customers' periods.</summary>
    public async Task LoadTierTotalsAsync(TierCounters counters, IReadOnlyCollection<(string Customer, Instant PeriodStart)> periods, CancellationToken ct)
    {
        if (periods.Count == 0) return;
        await using var cmd = db.CreateCommand("""
            select t.customer_id, t.period_start, t.price_book, t.rule_id, t.meter, t.total
            from ledger.rating_tiers t join unnest($1::text[], $2::timestamptz[]) as p(c, s) on t.customer_id = p.c and t.period_start = p.s
            """);
        cmd.Parameters.Add(new() { Value = periods.Select(p => p.Customer).ToArray() });
        cmd.Parameters.Add(new() { Value = periods.Select(p => p.PeriodStart.ToDateTimeUtc()).ToArray() });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            counters.Load(new TierKey(reader.GetString(0), Instant.FromDateTimeUtc(reader.GetDateTime(1)), reader.GetString(2), reader.GetString(3), reader.GetString(4)),
                reader.GetDecimal(5));
    }

    public static void QueueTierReset(IDocumentOperations ops, string customerId, Instant from) =>
        ops.QueueSqlCommand("delete from ledger.rating_tiers where customer_id = ? and period_start >= ?",
            customerId, from.ToDateTimeOffset());

    public static void QueueTierTotals(IDocumentOperations ops, IReadOnlyList<(TierKey Key, decimal Total)> totals)
    {
        if (totals.Count == 0) return;
        ops.QueueSqlCommand("""
            insert into ledger.rating_tiers (customer_id, period_start, price_book, rule_id, meter, total)
            select * from unnest(?::text[], ?::timestamptz[], ?::text[], ?::text[], ?::text[], ?::numeric[])
            on conflict (customer_id, period_start, price_book, rule_id, meter) do update set total = excluded.total
            """,
            totals.Select(t => t.Key.CustomerId).ToArray(), totals.Select(t => t.Key.PeriodStart.ToDateTimeOffset()).ToArray(),
            totals.Select(t => t.Key.PriceBook).ToArray(), totals.Select(t => t.Key.RuleId).ToArray(),
            totals.Select(t => t.Key.Meter).ToArray(), totals.Select(t => t.Total).ToArray());
    }

    /// <summary>Reads the stored counts of the given pools of included units into <paramref name="counters"/>.</summary>
    public async Task LoadIncludedUnitsAsync(IncludedUnitCounters counters, IReadOnlyCollection<IncludedKey> keys, CancellationToken ct)
    {
        if (keys.Count == 0) return;
        await using var cmd = db.CreateCommand("""
            select u.customer_id, u.contract_id, u.segment_start, u.segment_end, u.meter, u.model, u.included, u.used
            from ledger.contract_included_units u join unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[]) as k(c, k, s, m, o)
              on u.customer_id = k.c and u.contract_id = k.k and u.segment_start = k.s and u.meter = k.m and u.model = k.o
            """);
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.CustomerId).ToArray() });
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.ContractId).ToArray() });
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.SegmentStart.ToDateTimeUtc()).ToArray() });
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.Meter).ToArray() });
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.Model).ToArray() });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            counters.Loaded(new IncludedUse(reader.GetString(0), new Contracts.IncludedUnits(reader.GetString(1),
                new Interval(Instant.FromDateTimeUtc(reader.GetDateTime(2)), Instant.FromDateTimeUtc(reader.GetDateTime(3))),
                reader.GetString(4), reader.GetString(5) is { Length: > 0 } model ? model : null, reader.GetDecimal(6)), reader.GetDecimal(7)));
    }

    public static void QueueIncludedReset(IDocumentOperations ops, string customerId, Instant from) =>
        ops.QueueSqlCommand("delete from ledger.contract_included_units where customer_id = ? and segment_start >= ?", customerId, from.ToDateTimeOffset());

    public static void QueueIncludedUnits(IDocumentOperations ops, IReadOnlyList<IncludedUse> uses)
    {
        if (uses.Count == 0) return;
        ops.QueueSqlCommand("""
            insert into ledger.contract_included_units (customer_id, contract_id, segment_start, segment_end, meter, model, included, used)
            select * from unnest(?::text[], ?::text[], ?::timestamptz[], ?::timestamptz[], ?::text[], ?::text[], ?::numeric[], ?::numeric[])
            on conflict (customer_id, contract_id, segment_start, meter, model) do update set segment_end = excluded.segment_end,
                included = excluded.included, used = excluded.used
            """,
            uses.Select(u => u.CustomerId).ToArray(), uses.Select(u => u.Pool.ContractId).ToArray(),
            uses.Select(u => u.Pool.Span.Start.ToDateTimeOffset()).ToArray(), uses.Select(u => u.Pool.Span.End.ToDateTimeOffset()).ToArray(),
            uses.Select(u => u.Pool.Meter).ToArray(), uses.Select(u => u.Pool.Model ?? "").ToArray(),
            uses.Select(u => u.Pool.Quantity).ToArray(), uses.Select(u => u.Used).ToArray());
    }

    /// <summary>Rated spend starts a bucket every quarter hour (UTC).</summary>
    public static Instant SpendBucket(Instant at) => Instant.FromUnixTimeTicks(at.ToUnixTimeTicks() - Mod(at.ToUnixTimeTicks(), QuarterHourTicks));

    private const long QuarterHourTicks = 15 * NodaConstants.TicksPerMinute;
    private static long Mod(long a, long m) => (a % m + m) % m;

    /// <summary>
    /// Adds the batch's changes of rated and uncovered spend to their quarter-hour buckets. The uncovered part is
    /// kept without trailing zeros: it goes up and back down as allowances and credits are drawn again, and a
    /// rebuild, which sees fewer of those steps in between, must store the same digits.
    /// </summary>
    public static void QueueSpend(IDocumentOperations ops, IReadOnlyDictionary<(string Customer, Instant Bucket), SpendChange> deltas)
    {
        var changed = deltas.Where(d => !d.Value.IsZero).ToList();
        if (changed.Count == 0) return;
        ops.QueueSqlCommand("""
            insert into ledger.rated_spend (customer_id, bucket, amount, uncovered)
            select c, b, a, trim_scale(u) from unnest(?::text[], ?::timestamptz[], ?::numeric[], ?::numeric[]) as t(c, b, a, u)
            on conflict (customer_id, bucket) do update set amount = rated_spend.amount + excluded.amount,
                uncovered = trim_scale(rated_spend.uncovered + excluded.uncovered)
            """,
            changed.Select(d => d.Key.Customer).ToArray(), changed.Select(d => d.Key.Bucket.ToDateTimeOffset()).ToArray(),
            changed.Select(d => d.Value.Amount).ToArray(), changed.Select(d => d.Value.Uncovered).ToArray());
    }

    /// <summary>Stored spend per (customer, period): the sum of its quarter-hour buckets.</summary>
    public async Task<Dictionary<(string, Interval), decimal>> StoredSpendAsync(IReadOnlyList<(string Customer, Interval Period)> keys, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            select p.c, p.f, p.t, coalesce(sum(s.amount), 0)
            from unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) as p(c, f, t)
            left join ledger.rated_spend s on s.customer_id = p.c and s.bucket >= p.f and s.bucket < p.t
            group by p.c, p.f, p.t
            """);
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.Customer).ToArray() });
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.Period.Start.ToDateTimeOffset()).ToArray() });
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.Period.End.ToDateTimeOffset()).ToArray() });
        var spend = new Dictionary<(string, Interval), decimal>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            spend[(reader.GetString(0), new Interval(Instant.FromDateTimeOffset(reader.GetFieldValue<DateTimeOffset>(1)), Instant.FromDateTimeOffset(reader.GetFieldValue<DateTimeOffset>(2))))] = reader.GetDecimal(3);
        return spend;
    }

    /// <summary>Which of these event streams exist already (facts recorded once, such as budget alerts).</summary>
    public async Task<HashSet<string>> ExistingStreamsAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        var existing = new HashSet<string>();
        if (keys.Count == 0) return existing;
        await using var cmd = db.CreateCommand("select id from ledger.mt_streams where id = any($1)");
        cmd.Parameters.Add(new() { Value = keys.ToArray() });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) existing.Add(reader.GetString(0));
        return existing;
    }

    /// <summary>Inserts or replaces the rows of one batch with one statement.</summary>
    public static void QueueRows(IDocumentOperations ops, IReadOnlyCollection<RatedRow> rows)
    {
        if (rows.Count == 0) return;
        var rated = rows.Select(r => r.Outcome as Rated).ToArray();
        ops.QueueSqlCommand("""
            insert into ledger.rated_usage (seq, customer_id, source, event_id, usage_at, recorded_at, status, currency, amount,
                price_book, price_version, rule_id, override_version, reason, dimensions, lines, uncovered, drawdowns, contract_id, contract_amendment)
            select * from unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::timestamptz[], ?::timestamptz[], ?::text[], ?::text[],
                ?::numeric[], ?::text[], ?::int[], ?::text[], ?::int[], ?::text[], ?::jsonb[], ?::jsonb[], ?::numeric[], ?::jsonb[], ?::text[], ?::int[])
            on conflict (seq) do update set status = excluded.status, currency = excluded.currency, amount = excluded.amount,
                price_book = excluded.price_book, price_version = excluded.price_version, rule_id = excluded.rule_id,
                override_version = excluded.override_version, reason = excluded.reason, lines = excluded.lines,
                uncovered = excluded.uncovered, drawdowns = excluded.drawdowns,
                contract_id = excluded.contract_id, contract_amendment = excluded.contract_amendment,
                journal_tick = nextval('ledger.rated_usage_tick')
            """,
            rows.Select(r => r.Sequence).ToArray(),
            rows.Select(r => r.Usage.CustomerId).ToArray(),
            rows.Select(r => r.Usage.Source).ToArray(),
            rows.Select(r => r.Usage.EventId).ToArray(),
            rows.Select(r => r.Usage.UsageAt.ToDateTimeOffset()).ToArray(),
            rows.Select(r => r.Usage.RecordedAt.ToDateTimeOffset()).ToArray(),
            rows.Select(r => r.Status).ToArray(),
            rated.Select(r => r?.Amount.Currency).ToArray(),
            rated.Select(r => r?.Amount.Amount).ToArray(),
            rated.Select(r => r?.PriceBookId).ToArray(),
            rated.Select(r => r?.Version).ToArray(),
            rated.Select(r => r?.RuleId).ToArray(),
            rated.Select(r => r?.OverrideVersion).ToArray(),
            rows.Select(r => (r.Outcome as Unpriced)?.Reason).ToArray(),
            rows.Select(r => System.Text.Json.JsonSerializer.Serialize(r.Usage.Dimensions)).ToArray(),
            rows.Select(r => r.LinesJson()).ToArray(),
            rows.Select(r => r.Credit.Uncovered).ToArray(),
            rows.Select(r => r.Credit.DrawdownsJson()).ToArray(),
            rated.Select(r => r?.ContractId).ToArray(),
            rated.Select(r => r?.ContractAmendment).ToArray());
    }
}
