using System.Globalization;
using System.Text;
using Ledger.Access;
using Ledger.Kernel;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Revenue;

/// <summary>
/// One month of the deferred revenue roll-forward: opening + purchases + billings − recognised − breakage − voids = closing. Purchases:
/// prepaid credit bought; billings: fees invoiced in advance; recognised: usage paid by purchased credit and days of advance fees served.
/// </summary>
public sealed record RollForwardRow(string Currency, string Period, string Opening, string Purchases, string Billings, string Recognised, string Breakage,
    string Voids, string Closing);

public sealed record RollForwardView(string? Customer, IReadOnlyList<RollForwardRow> Periods);

/// <summary>
/// The deferred revenue (contract liability) roll-forward per posting period, summed from the journal's lines on
/// <c>contract_liability</c> by entry kind, so it ties to the trial balance exactly: each closing is minus the account's balance
/// as of that month (docs/revenue.md#reports).
/// </summary>
public static class DeferredRevenueReport
{
    [WolverineGet("/v1/reports/deferred-revenue")]
    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    [Tags("Journal"), EndpointSummary("Deferred revenue roll-forward per accounting period (JSON, or CSV with ?format=csv)")]
    [EndpointDescription("from, to: posting periods yyyy-MM (inclusive; default: the first and last with entries on contract_liability). " +
        "customer: one customer only. Per currency and month: opening + purchases + billings − recognised − breakage − voids = closing, in " +
        "exact decimals (corrections net into their column). Purchases: prepaid credit bought; billings: fees invoiced in advance; recognised: " +
        "usage paid by purchased credit plus the days of advance fees served.")]
    [ProducesResponseType<RollForwardView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> Get(string? from, string? to, string? customer, string? format, NpgsqlDataSource db, CancellationToken ct)
    {
        if (ReportRequest.Read(from, to, format, out var start, out var end) is { } bad) return bad;
        await using var cmd = db.CreateCommand("""
            select e.currency, e.posting_period, e.kind, sum(l.credit - l.debit)
            from ledger.journal_entries e join ledger.journal_lines l on l.entry_id = e.entry_id
            where l.account = 'contract_liability' and ($1::text is null or e.customer_id = $1)
            group by 1, 2, 3 order by 1, 2
            """);
        cmd.Parameters.Add(ReportRequest.Text(customer));
        var moves = new List<(string Currency, LocalDate Period, string Kind, decimal Amount)>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
            {
                var d = reader.GetFieldValue<DateOnly>(1);
                moves.Add((reader.GetString(0), new LocalDate(d.Year, d.Month, d.Day), reader.GetString(2), reader.GetDecimal(3)));
            }
        var rows = new List<RollForwardRow>();
        foreach (var currency in moves.GroupBy(m => m.Currency))
        {
            var first = start ?? currency.Min(m => m.Period);
            var last = end ?? currency.Max(m => m.Period);
            var balance = currency.Where(m => m.Period < first).Sum(m => m.Amount);
            string M(decimal d) => new Money(d, currency.Key).ToExactString();
            for (var month = first; month <= last; month = month.PlusMonths(1))
            {
                decimal Of(EntryKind kind) => currency.Where(m => m.Period == month && m.Kind == kind.Name).Sum(m => m.Amount);
                var billings = currency.Where(m => m.Period == month && m.Kind == EntryKind.Invoice).Sum(m => m.Amount);
                var recognised = 0m - Of(EntryKind.UsageCredits) - Of(EntryKind.SubscriptionFeeAdvance);
                var (purchases, breakage, voids) = (Of(EntryKind.CreditPurchase), 0m - Of(EntryKind.Breakage), 0m - Of(EntryKind.CreditVoid));
                var closing = balance + currency.Where(m => m.Period == month).Sum(m => m.Amount);
                if (balance + purchases + billings - recognised - breakage - voids != closing)
                    throw new InvalidOperationException($"contract_liability moved by an entry kind the roll-forward does not know ({currency.Key} {month})");
                rows.Add(new RollForwardRow(currency.Key, $"{month:yyyy-MM}", M(balance), M(purchases), M(billings), M(recognised), M(breakage), M(voids), M(closing)));
                balance = closing;
            }
        }
        if (format != "csv") return Results.Json(new RollForwardView(customer, rows));
        var csv = new StringBuilder("currency,period,opening,purchases,billings,recognised,breakage,voids,closing\n");
        foreach (var r in rows)
            csv.Append(CultureInfo.InvariantCulture, $"{r.Currency},{r.Period},{r.Opening},{r.Purchases},{r.Billings},{r.Recognised},{r.Breakage},{r.Voids},{r.Closing}\n");
        return ReportRequest.Csv(csv);
    }
}
