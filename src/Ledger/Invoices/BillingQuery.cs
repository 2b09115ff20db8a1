using Ledger.Rating;
using NodaTime;
using Npgsql;

namespace Ledger.Invoices;

/// <summary>
/// What an invoice for one customer and period bills, read inside the caller's repeatable-read
/// transaction (one snapshot, one rating position): the period's rated usage not billed before, and
/// every earlier event that is billed already or falls in an invoiced period but whose rated state
/// changed since (late, re-rated, or newly covered by credits) — as the difference from its state on
/// the last invoice that billed it. The rows are staged in a temporary table, so the invoice's figures
/// and the billing record written when it is issued come from the same rows.
/// </summary>
public static class BillingQuery
{
    public sealed record UsageGroup(string? Model, string? Mode, string Meter, decimal Quantity, decimal Amount, long Events);

    /// <summary>The invoice an adjustment refers to, with the period it billed.</summary>
    public sealed record Adjusted(string Invoice, string Number, Instant From, Instant To);

    public sealed record AdjustmentGroup(Adjusted Adjusts, string? Model, string? Mode, string Meter, decimal Quantity, decimal Amount, long Events);

    /// <summary>Changes of drawn allowance and credits on adjusted events, per invoice adjusted.</summary>
    public sealed record AdjustedDrawdowns(Adjusted Adjusts, decimal Allowance, decimal Credits);

    public sealed record Figures(IReadOnlyList<UsageGroup> Usage, IReadOnlyList<(string Grant, decimal Amount)> Allowance, decimal Credits,
        IReadOnlyList<AdjustmentGroup> Adjustments, IReadOnlyList<AdjustedDrawdowns> AdjustedDrawdowns,
        long Unpriced, long Unassigned, long AsOf)
    {
        public decimal UsageAmount => Usage.Sum(u => u.Amount);
        public decimal AllowanceAmount => Allowance.Sum(a => a.Amount);
        public bool Empty => Usage.Count == 0 && Allowance.Count == 0 && Credits == 0 && Adjustments.Count == 0 && AdjustedDrawdowns.Count == 0;
    }

    public const int CloseTimeoutSeconds = 600;

    private const string Stage = """
        create temp table to_bill (
            seq bigint primary key, usage_at timestamptz not null, model text, mode text, first_billing boolean not null,
            lines jsonb not null, amount numeric not null, credits numeric not null, allowance numeric not null, drawdowns jsonb,
            last_lines jsonb not null, last_amount numeric not null, last_credits numeric not null, last_allowance numeric not null,
            adjusts_invoice text, adjusts_number text, adjusts_from timestamptz, adjusts_to timestamptz) on commit drop;
        """;

    // $1 customer, $2 period start, $3 period end.
    private const string Fill = """
        insert into to_bill
        with cur as (
            select r.seq, r.usage_at, r.dimensions->>'model' as model, r.dimensions->>'mode' as mode,
                   case when r.status = 'rated' then r.lines else '[]'::jsonb end as lines,
                   case when r.status = 'rated' then r.amount else 0 end as amount,
                   coalesce(d.credits, 0) as credits, coalesce(d.allowance, 0) as allowance, r.drawdowns
            from ledger.rated_usage r
            left join lateral (
                select sum((x->>'amount')::numeric) filter (where x->>'grant' not like 'allowance:%') as credits,
                       sum((x->>'amount')::numeric) filter (where x->>'grant' like 'allowance:%') as allowance
                from jsonb_array_elements(coalesce(r.drawdowns, '[]'::jsonb)) x) d on true
            where r.customer_id = $1 and r.usage_at < $3),
        last as (
            select distinct on (b.seq) b.seq, b.lines, b.amount, b.credits, b.allowance,
                   min(b.invoice_seq) over (partition by b.seq) as first_invoice
            from ledger.billed_usage b where b.customer_id = $1 and b.usage_at < $3
            order by b.seq, b.invoice_seq desc)
        select c.seq, c.usage_at, c.model, c.mode, l.seq is null and c.usage_at >= $2,
               c.lines, c.amount, c.credits, c.allowance, c.drawdowns,
               coalesce(l.lines, '[]'::jsonb), coalesce(l.amount, 0), coalesce(l.credits, 0), coalesce(l.allowance, 0),
               i.invoice_id, i.number, i.period_from, i.period_to
        from cur c
        left join last l on l.seq = c.seq
        left join lateral (
            select v.invoice_id, v.number, v.period_from, v.period_to from ledger.invoices v
            where v.customer_id = $1 and (v.seq = l.first_invoice or l.seq is null and c.usage_at >= v.period_from and c.usage_at < v.period_to)
            order by v.seq limit 1) i on true
        where (l.seq is null and c.usage_at >= $2 and c.lines <> '[]'::jsonb)
           or (i.invoice_id is not null and (
                  (l.seq is null and c.lines <> '[]'::jsonb)
               or (l.seq is not null and (c.lines <> l.lines or c.amount <> l.amount or c.credits <> l.credits or c.allowance <> l.allowance))))
        """;

    private const string UsageLines = """
        select t.model, t.mode, l->>'meter', sum((l->>'quantity')::numeric), sum((l->>'amount')::numeric), count(distinct t.seq)
        from to_bill t cross join lateral jsonb_array_elements(t.lines) l
        where t.first_billing group by 1, 2, 3 order by 1 nulls first, 2 nulls first, 3
        """;

    private const string AllowanceLines = """
        select d->>'grant', sum((d->>'amount')::numeric)
        from to_bill t cross join lateral jsonb_array_elements(coalesce(t.drawdowns, '[]'::jsonb)) d
        where t.first_billing and d->>'grant' like 'allowance:%' group by 1 having sum((d->>'amount')::numeric) <> 0 order by 1
        """;

    private const string Credits = "select coalesce(sum(credits), 0) from to_bill where first_billing";

    private const string AdjustmentLines = """
        select t.adjusts_invoice, t.adjusts_number, t.adjusts_from, t.adjusts_to, t.model, t.mode, m.meter,
               sum(m.quantity), sum(m.amount), count(distinct t.seq)
        from to_bill t cross join lateral (
            select l->>'meter' as meter, (l->>'quantity')::numeric as quantity, (l->>'amount')::numeric as amount from jsonb_array_elements(t.lines) l
            union all
            select l->>'meter', -(l->>'quantity')::numeric, -(l->>'amount')::numeric from jsonb_array_elements(t.last_lines) l) m
        where not t.first_billing
        group by 1, 2, 3, 4, 5, 6, 7 having sum(m.quantity) <> 0 or sum(m.amount) <> 0
        order by 3, 5 nulls first, 6 nulls first, 7
        """;

    private const string AdjustedDrawdownSums = """
        select adjusts_invoice, adjusts_number, adjusts_from, adjusts_to, sum(allowance - last_allowance), sum(credits - last_credits)
        from to_bill where not first_billing group by 1, 2, 3, 4
        having sum(allowance - last_allowance) <> 0 or sum(credits - last_credits) <> 0 order by 3
        """;

    // $1 customer, $2 period start, $3 period end.
    private const string Waiting = """
        select count(*) filter (where status = 'unpriced'), count(*) filter (where status = 'unassigned')
        from ledger.rated_usage where customer_id = $1 and usage_at >= $2 and usage_at < $3 and status <> 'rated'
        """;

    /// <summary>
    /// The earliest rated, unbilled usage before <paramref name="before"/> that no invoice's period covers: its
    /// period must be invoiced first. Null when there is none. Rows with no lines are never billed (as in Fill), so they never hold a close up.
    /// </summary>
    private const string EarlierUnbilled = """
        select min(r.usage_at) from ledger.rated_usage r
        where r.customer_id = $1 and r.usage_at < $2 and r.status = 'rated' and r.lines <> '[]'::jsonb
          and not exists (select 1 from ledger.billed_usage b where b.seq = r.seq)
          and not exists (select 1 from ledger.invoices v where v.customer_id = $1 and r.usage_at >= v.period_from and r.usage_at < v.period_to)
        """;

    /// <summary>Stages and reads the figures; the caller's transaction must be repeatable read.</summary>
    public static async Task<Figures> RunAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string customerId, Interval period, CancellationToken ct)
    {
        object[] window = [customerId, period.Start.ToDateTimeOffset(), period.End.ToDateTimeOffset()];
        // A close reads the customer's whole history (docs/performance.md#closing-a-period): minutes, not the default 30 s, at millions of events.
        await using var batch = new NpgsqlBatch(conn, tx) { Timeout = CloseTimeoutSeconds };
        batch.BatchCommands.Add(new(RatingProjection.PositionSql));
        batch.BatchCommands.Add(new(Stage));
        batch.BatchCommands.Add(Command(Fill, window));
        batch.BatchCommands.Add(new(UsageLines));
        batch.BatchCommands.Add(new(AllowanceLines));
        batch.BatchCommands.Add(new(Credits));
        batch.BatchCommands.Add(new(AdjustmentLines));
        batch.BatchCommands.Add(new(AdjustedDrawdownSums));
        batch.BatchCommands.Add(Command(Waiting, window));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var asOf = reader.GetInt64(0);
        await reader.NextResultAsync(ct); // (the create and the insert return no rows: skipped)
        var usage = new List<UsageGroup>();
        while (await reader.ReadAsync(ct))
            usage.Add(new UsageGroup(Text(reader, 0), Text(reader, 1), reader.GetString(2), reader.GetDecimal(3), reader.GetDecimal(4), reader.GetInt64(5)));
        await reader.NextResultAsync(ct);
        var allowance = new List<(string, decimal)>();
        while (await reader.ReadAsync(ct)) allowance.Add((reader.GetString(0), reader.GetDecimal(1)));
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var credits = reader.GetDecimal(0);
        await reader.NextResultAsync(ct);
        var adjustments = new List<AdjustmentGroup>();
        while (await reader.ReadAsync(ct))
            adjustments.Add(new AdjustmentGroup(ReadAdjusted(reader), Text(reader, 4), Text(reader, 5), reader.GetString(6),
                reader.GetDecimal(7), reader.GetDecimal(8), reader.GetInt64(9)));
        await reader.NextResultAsync(ct);
        var drawdowns = new List<AdjustedDrawdowns>();
        while (await reader.ReadAsync(ct)) drawdowns.Add(new AdjustedDrawdowns(ReadAdjusted(reader), reader.GetDecimal(4), reader.GetDecimal(5)));
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        return new Figures(usage, allowance, credits, adjustments, drawdowns, reader.GetInt64(0), reader.GetInt64(1), asOf);
    }

    /// <summary>The earliest usage before <paramref name="before"/> that is billable but in no invoiced period; null when none.</summary>
    public static async Task<Instant?> EarlierUnbilledAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string customerId, Instant before, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(EarlierUnbilled, conn, tx) { CommandTimeout = CloseTimeoutSeconds };
        cmd.Parameters.Add(new() { Value = customerId });
        cmd.Parameters.Add(new() { Value = before.ToDateTimeOffset() });
        return await cmd.ExecuteScalarAsync(ct) is DateTime at ? Instant.FromDateTimeUtc(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null;
    }

    /// <summary>Records the staged rows as billed by the invoice with counter <paramref name="invoiceSeq"/>; returns how many.</summary>
    public static async Task<int> RecordBilledAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string customerId, long invoiceSeq, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            insert into ledger.billed_usage (seq, invoice_seq, customer_id, usage_at, lines, amount, credits, allowance)
            select seq, $2, $1, usage_at, lines, amount, credits, allowance from to_bill
            """, conn, tx) { CommandTimeout = CloseTimeoutSeconds };
        cmd.Parameters.Add(new() { Value = customerId });
        cmd.Parameters.Add(new() { Value = invoiceSeq });
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static Adjusted ReadAdjusted(NpgsqlDataReader reader) => new(reader.GetString(0), reader.GetString(1),
        Instant.FromDateTimeUtc(DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc)),
        Instant.FromDateTimeUtc(DateTime.SpecifyKind(reader.GetDateTime(3), DateTimeKind.Utc)));

    private static string? Text(NpgsqlDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    private static NpgsqlBatchCommand Command(string sql, object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var v in values) command.Parameters.Add(new NpgsqlParameter { Value = v });
        return command;
    }
}
