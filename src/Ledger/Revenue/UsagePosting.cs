using Npgsql;

namespace Ledger.Revenue;

/// <summary>
/// Posts rated usage, set-based inside a posting run's snapshot: for every usage event whose rated row changed since the last
/// run, how it is paid now (purchased credit, promotional credit, uncovered) is compared with what the journal has posted for
/// it, and only the differences are posted, aggregated per customer, model, service day (UTC), kind and sign, each event's
/// share kept in <c>ledger.journal_usage</c> (docs/revenue.md#deltas). Allowance drawdowns post nothing (docs/revenue.md#allowance).
/// </summary>
public static class UsagePosting
{
    // $1 the last run's usage tick.
    private const string Delta = """
        create temp table journal_delta on commit drop as
        with changed as (
            select r.seq, r.customer_id, r.currency, r.usage_at, r.dimensions->>'model' as model, r.uncovered, r.drawdowns
            from ledger.rated_usage r where r.journal_tick > $1),
        cur as (
            select c.seq, c.customer_id, c.currency, c.usage_at, c.model, c.uncovered,
                   coalesce(sum(d.amount) filter (where g.kind is distinct from 'Promotional'), 0) as credits,
                   coalesce(sum(d.amount) filter (where g.kind = 'Promotional'), 0) as promotional
            from changed c
            left join lateral (
                select x->>'grant' as grant_id, (x->>'amount')::numeric as amount
                from jsonb_array_elements(coalesce(c.drawdowns, '[]'::jsonb)) x where x->>'grant' not like 'allowance:%') d on true
            left join ledger.credit_grants g on g.customer_id = c.customer_id and g.grant_id = d.grant_id
            group by c.seq, c.customer_id, c.currency, c.usage_at, c.model, c.uncovered),
        posted as (
            select u.seq, e.kind, min(e.currency) as currency, sum(u.amount) as amount
            from ledger.journal_usage u join ledger.journal_entries e on e.entry_id = u.entry_id
            where u.seq in (select seq from changed) group by u.seq, e.kind)
        select c.seq, c.customer_id, coalesce(c.currency, p.currency) as currency, c.model, (c.usage_at at time zone 'UTC')::date as service_date,
               v.kind, v.amount - coalesce(p.amount, 0) as delta
        from cur c
        cross join lateral (values ('usage_credits', c.credits), ('usage_promotional', c.promotional), ('usage_uncovered', c.uncovered)) v(kind, amount)
        left join posted p on p.seq = c.seq and p.kind = v.kind
        where v.amount - coalesce(p.amount, 0) <> 0 and coalesce(c.currency, p.currency) is not null
        """;

    private const string Group = """
        create temp table journal_group on commit drop as
        select nextval('ledger.journal_entry_id') as entry_id, t.*
        from (select customer_id, currency, model, service_date, kind, delta > 0 as positive, sum(delta) as amount, count(*) as events
              from journal_delta group by 1, 2, 3, 4, 5, 6) t
        """;

    // $1 run, $2 open period (null: none closed), $3 posted at.
    private const string Entries = """
        insert into ledger.journal_entries (entry_id, run_id, kind, customer_id, currency, posting_period, service_date, model, amount, source,
            cause, description, posted_at)
        select entry_id, $1, kind, customer_id, currency, greatest(date_trunc('month', service_date)::date, $2::date), service_date, model, amount, null,
               jsonb_build_object('usage_events', events),
               case kind when 'usage_credits' then 'Usage paid by prepaid credit' when 'usage_promotional' then 'Usage paid by promotional credit'
                         else 'Usage not covered by credit' end
                   || coalesce(', model ' || model, '') || ', ' || service_date || ' (' || events || case when events = 1 then ' event)' else ' events)' end
                   || case when amount < 0 then ', correction' else '' end,
               $3
        from journal_group
        """;

    private static string Lines => $"""
        insert into ledger.journal_lines (entry_id, line, account, debit, credit)
        select g.entry_id, s.line, case when (g.amount > 0) = (s.line = 1) then k.debit else k.credit end,
               case when s.line = 1 then abs(g.amount) else 0 end, case when s.line = 2 then abs(g.amount) else 0 end
        from journal_group g join (values {EntryKind.SqlValues}) k(kind, debit, credit) on k.kind = g.kind
        cross join (values (1), (2)) s(line)
        """;

    private const string Links = """
        insert into ledger.journal_usage (seq, entry_id, amount)
        select d.seq, g.entry_id, d.delta from journal_delta d
        join journal_group g on g.customer_id = d.customer_id and g.currency = d.currency and g.model is not distinct from d.model
            and g.service_date = d.service_date and g.kind = d.kind and g.positive = (d.delta > 0)
        """;

    /// <summary>The highest usage tick in the snapshot (the next run's cursor).</summary>
    public const string TickSql = "select coalesce(max(journal_tick), $1) from ledger.rated_usage where journal_tick > $1";

    /// <summary>Posts the usage differences; returns how many entries.</summary>
    public static async Task<int> PostAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long lastTick, long run, DateOnly? open, DateTimeOffset now,
        CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn, tx);
        batch.BatchCommands.Add(new(Delta) { Parameters = { new() { Value = lastTick } } });
        batch.BatchCommands.Add(new(Group));
        batch.BatchCommands.Add(new(Entries) { Parameters = { new() { Value = run }, new NpgsqlParameter { Value = (object?)open ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Date }, new() { Value = now } } });
        batch.BatchCommands.Add(new(Lines));
        batch.BatchCommands.Add(new(Links));
        await batch.ExecuteNonQueryAsync(ct);
        return batch.BatchCommands[2].RecordsAffected;
    }
}
