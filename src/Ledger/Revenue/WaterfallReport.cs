using System.Globalization;
using System.Text;
using Ledger.Access;
using Ledger.Kernel;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Revenue;

/// <summary>
/// One booking month of the waterfall: what was booked into deferred revenue in it (<see cref="Booked"/>), what of that was
/// recognised in each later month (<see cref="Recognised"/>, by posting period), what was voided (refunded, not revenue), and
/// what is still deferred. <see cref="BookedIn"/> is <c>unattributed</c> for recognition whose booking is unknown (below).
/// </summary>
public sealed record WaterfallRow(string Currency, string BookedIn, string Booked, IReadOnlyDictionary<string, string> Recognised, string Voided,
    string Deferred);

public sealed record WaterfallView(string? Customer, IReadOnlyList<string> Months, IReadOnlyList<WaterfallRow> Rows);

/// <summary>
/// The revenue waterfall of deferred revenue (docs/revenue.md#reports): rows by booking month, columns by recognition month.
/// Every amount is traced to its booking exactly: a purchased grant (its <c>credit_purchase</c>), or an invoice billing fees in
/// advance; fee days to their invoice, breakage and voids to their grant, and usage paid by purchased credit to the grants its
/// event drew (an event drawing several shares its amount in proportion to what it drew, the last grant by id taking the
/// remainder, so the shares add up to the journal's exactly).
/// </summary>
public static class WaterfallReport
{
    private const string Sql = """
        with bookings as (
            select e.currency, 'grant:' || g.customer_id || '/' || g.grant_id as key, min(e.posting_period) as month, sum(g.amount) as booked
            from ledger.journal_grants g join ledger.journal_entries e on e.entry_id = g.entry_id
            where e.kind = 'credit_purchase' and ($1::text is null or e.customer_id = $1)
            group by 1, 2
            union all
            select e.currency, 'invoice:' || (e.cause->>'invoice'), min(e.posting_period), sum(l.credit - l.debit)
            from ledger.journal_entries e join ledger.journal_lines l on l.entry_id = e.entry_id and l.account = 'contract_liability'
            where e.kind = 'invoice' and ($1::text is null or e.customer_id = $1)
            group by 1, 2),
        shares as (
            select u.entry_id, u.seq, u.amount as share, e.posting_period as month, e.customer_id, e.currency
            from ledger.journal_usage u join ledger.journal_entries e on e.entry_id = u.entry_id
            where e.kind = 'usage_credits' and ($1::text is null or e.customer_id = $1)),
        drawn as (
            select s.entry_id, s.seq, d->>'grant' as grant_id, sum((d->>'amount')::numeric) as drawn
            from shares s join ledger.rated_usage r on r.seq = s.seq
            cross join lateral jsonb_array_elements(coalesce(r.drawdowns, '[]'::jsonb)) d
            join ledger.credit_grants c on c.customer_id = s.customer_id and c.grant_id = d->>'grant' and c.kind <> 'Promotional'
            where d->>'grant' not like 'allowance:%'
            group by 1, 2, 3 having sum((d->>'amount')::numeric) <> 0),
        portions as (
            select s.entry_id, s.seq, s.currency, s.customer_id, s.month, s.share, d.grant_id,
                   s.share * d.drawn / sum(d.drawn) over w as portion,
                   row_number() over (w order by d.grant_id desc) as rn
            from shares s join drawn d on d.entry_id = s.entry_id and d.seq = s.seq
            window w as (partition by s.entry_id, s.seq)),
        allocated as (
            select currency, customer_id, month, grant_id,
                   portion + case when rn = 1 then share - sum(portion) over (partition by entry_id, seq) else 0 end as amount
            from portions),
        releases as (
            select e.currency, 'invoice:' || (e.cause->>'invoice') as key, e.posting_period as month, 'recognised' as what, e.amount
            from ledger.journal_entries e where e.kind = 'subscription_fee_advance' and ($1::text is null or e.customer_id = $1)
            union all
            select e.currency, 'grant:' || g.customer_id || '/' || g.grant_id, e.posting_period,
                   case e.kind when 'breakage' then 'recognised' else 'voided' end, g.amount
            from ledger.journal_grants g join ledger.journal_entries e on e.entry_id = g.entry_id
            where e.kind in ('breakage', 'credit_void') and ($1::text is null or e.customer_id = $1)
            union all
            select currency, 'grant:' || customer_id || '/' || grant_id, month, 'recognised', amount from allocated
            union all
            select s.currency, null, s.month, 'recognised', s.share
            from shares s where not exists (select 1 from drawn d where d.entry_id = s.entry_id and d.seq = s.seq))
        select b.currency, to_char(b.month, 'YYYY-MM'), 'booked', sum(b.booked) from bookings b group by 1, 2
        union all
        select r.currency, coalesce(to_char(b.month, 'YYYY-MM'), 'unattributed'), r.what || ' ' || to_char(r.month, 'YYYY-MM'), sum(r.amount)
        from releases r left join bookings b on b.key = r.key
        group by 1, 2, 3
        """;

    [WolverineGet("/v1/reports/revenue-waterfall")]
    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    [Tags("Journal"), EndpointSummary("Deferred revenue waterfall: rows by booking month, columns by recognition month (JSON, or CSV with ?format=csv)")]
    [EndpointDescription("customer: one customer only. Per currency and booking month (the posting period of a credit purchase, or of an " +
        "invoice billing fees in advance): booked, recognised per posting period, voided (refunded, not revenue) and still deferred " +
        "(booked − recognised − voided), in exact decimals. Σ deferred is the contract_liability balance.")]
    [ProducesResponseType<WaterfallView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> Get(string? customer, string? format, NpgsqlDataSource db, CancellationToken ct)
    {
        if (ReportRequest.BadFormat(format) is { } bad) return bad;
        var view = await ReadAsync(db, customer, ct);
        if (format != "csv") return Results.Json(view);
        var csv = new StringBuilder("currency,booked_in,booked," + string.Concat(view.Months.Select(m => m + ",")) + "voided,deferred\n");
        foreach (var r in view.Rows)
            csv.Append(CultureInfo.InvariantCulture, $"{r.Currency},{r.BookedIn},{r.Booked},")
                .Append(string.Concat(view.Months.Select(m => (r.Recognised.TryGetValue(m, out var a) ? a : "") + ",")))
                .Append(CultureInfo.InvariantCulture, $"{r.Voided},{r.Deferred}\n");
        return ReportRequest.Csv(csv);
    }

    public static async Task<WaterfallView> ReadAsync(NpgsqlDataSource db, string? customer, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(Sql);
        cmd.Parameters.Add(ReportRequest.Text(customer));
        var cells = new List<(string Currency, string BookedIn, string Column, decimal Amount)>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                cells.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetDecimal(3)));
        var months = cells.Where(c => c.Column.StartsWith("recognised ", StringComparison.Ordinal)).Select(c => c.Column[11..]).Distinct().Order().ToList();
        var rows = cells.GroupBy(c => (c.Currency, c.BookedIn)).OrderBy(g => g.Key.Currency).ThenBy(g => g.Key.BookedIn, StringComparer.Ordinal)
            .Select(g =>
            {
                string M(decimal d) => new Money(d, g.Key.Currency).ToExactString();
                decimal Sum(Func<string, bool> column) => g.Where(c => column(c.Column)).Sum(c => c.Amount);
                var booked = Sum(c => c == "booked");
                var recognised = g.Where(c => c.Column.StartsWith("recognised ", StringComparison.Ordinal))
                    .ToDictionary(c => c.Column[11..], c => M(c.Amount));
                var (released, voided) = (Sum(c => c.StartsWith("recognised ", StringComparison.Ordinal)), Sum(c => c.StartsWith("voided ", StringComparison.Ordinal)));
                return new WaterfallRow(g.Key.Currency, g.Key.BookedIn, M(booked), recognised, M(voided), M(booked - released - voided));
            }).ToList();
        return new WaterfallView(customer, months, rows);
    }
}
