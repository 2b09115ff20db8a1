using Ledger.Invoices;
using Npgsql;

namespace Ledger.Trace;

/// <summary>
/// The hop from an issued invoice's line to the usage events it billed, read from the billing record (<c>ledger.billed_usage</c>)
/// exactly as BillingQuery grouped them: each event's share of the line is its meter amount (usage), the change of its meter amount
/// since the invoice that billed it before (adjustment), or the allowance or credits it drew (as negative amounts). The shares add
/// up to the line's unrounded amount.
/// </summary>
public static class LineEvents
{
    /// <summary>How a line's events are selected and their shares taken; null for lines that bill no usage (fee, true-up).</summary>
    public static string? ModeOf(InvoiceLineView line) => (line.Kind, line.Adjusts, line.Meter) switch
    {
        ("usage", _, not null) => "usage",
        ("allowance", _, _) => "allowance",
        ("credits", null, _) => "credits",
        ("credits", not null, _) => "adjustment_credits",
        ("adjustment", not null, not null) => "adjustment",
        ("adjustment", not null, null) => "adjustment_allowance",
        _ => null
    };

    // $1 invoice seq, $2 period start, $3 after (seq), $4 limit, $5 mode, $6 model, $7 mode dimension, $8 meter, $9 adjusted invoice id.
    public const string Sql = """
        with b as materialized (
            select b.seq, b.lines, b.credits, b.allowance, r.dimensions->>'model' as model, r.dimensions->>'mode' as mode,
                   coalesce(p.lines, '[]'::jsonb) as prev_lines, coalesce(p.credits, 0) as prev_credits, coalesce(p.allowance, 0) as prev_allowance,
                   p.seq is null and b.usage_at >= $2 as first,
                   case when p.seq is not null
                        then (select v.invoice_id from ledger.invoices v where v.seq = (select min(f.invoice_seq) from ledger.billed_usage f where f.seq = b.seq))
                        else (select v.invoice_id from ledger.invoices v where v.customer_id = b.customer_id and b.usage_at >= v.period_from
                              and b.usage_at < v.period_to order by v.seq limit 1) end as adjusts
            from ledger.billed_usage b
            join ledger.rated_usage r on r.seq = b.seq
            left join lateral (select p.seq, p.lines, p.credits, p.allowance from ledger.billed_usage p
                               where p.seq = b.seq and p.invoice_seq < b.invoice_seq order by p.invoice_seq desc limit 1) p on true
            where b.invoice_seq = $1),
        shares as materialized (
            select seq, case $5::text
                when 'usage' then m.now
                when 'adjustment' then m.now - m.before
                when 'allowance' then -allowance
                when 'adjustment_allowance' then -(allowance - prev_allowance)
                when 'credits' then -credits
                else -(credits - prev_credits) end as share,
                m.has
            from b
            cross join lateral (
                select coalesce((select sum((l->>'amount')::numeric) from jsonb_array_elements(b.lines) l where l->>'meter' = $8), 0) as now,
                       coalesce((select sum((l->>'amount')::numeric) from jsonb_array_elements(b.prev_lines) l where l->>'meter' = $8), 0) as before,
                       exists (select 1 from jsonb_array_elements(b.lines || b.prev_lines) l where l->>'meter' = $8) as has) m
            where (case when $5::text in ('usage', 'allowance', 'credits') then first else not first and adjusts = $9::text end)
              and ($5::text not in ('usage', 'adjustment') or (model is not distinct from $6::text and mode is not distinct from $7::text))),
        kept as (select seq, share from shares where case when $5::text = 'usage' then has else share <> 0 end)
        select t.n, t.total, p.seq, p.share
        from (select count(*) as n, coalesce(sum(share), 0) as total from kept) t
        left join lateral (select seq, share from kept where seq > $3 order by seq limit $4) p on true
        """;

    public static object[] Values(long invoiceSeq, InvoiceView invoice, InvoiceLineView line, string mode, long after, int take) =>
    [
        invoiceSeq, invoice.Period.From.ToDateTimeOffset(), after, take, mode, (object?)line.Model ?? DBNull.Value, (object?)line.Mode ?? DBNull.Value,
        (object?)line.Meter ?? DBNull.Value, (object?)line.Adjusts?.Invoice ?? DBNull.Value
    ];
}
