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
/// One customer and posting period: billed (the receivable's increase: invoices, true-ups, credit purchases), recognised (revenue
/// net of contra-revenue), and the movements that reconcile them: billed = recognised − unbilled_change + deferred_change + credit_notes.
/// </summary>
public sealed record BilledVsRecognisedRow(string Currency, string Customer, string Period, string Billed, string Recognised, string UnbilledChange,
    string DeferredChange, string CreditNotes);

public sealed record BilledVsRecognisedView(string? From, string? To, IReadOnlyList<BilledVsRecognisedRow> Rows);

/// <summary>
/// Billed vs recognised per customer and accounting period (docs/revenue.md#reports), from the journal's lines: every entry balances, so
/// what was billed differs from what was recognised exactly by what moved into or out of unbilled receivable, deferred revenue and
/// credit notes in the period.
/// </summary>
public static class BilledVsRecognisedReport
{
    [WolverineGet("/v1/reports/billed-vs-recognised")]
    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    [Tags("Journal"), EndpointSummary("Billed vs recognised per customer and accounting period (JSON, or CSV with ?format=csv)")]
    [EndpointDescription("from, to: posting periods yyyy-MM (inclusive). customer: one customer only. billed = recognised − unbilled_change + " +
        "deferred_change + credit_notes, exactly: unbilled_change is revenue earned not yet invoiced (negative when invoiced), deferred_change " +
        "what was billed ahead of its service (negative when served), credit_notes what was refunded.")]
    [ProducesResponseType<BilledVsRecognisedView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> Get(string? from, string? to, string? customer, string? format, NpgsqlDataSource db, CancellationToken ct)
    {
        if (ReportRequest.Read(from, to, format, out var start, out var end) is { } bad) return bad;
        var view = new BilledVsRecognisedView(from, to, await ReadAsync(db, start, end, customer, ct));
        if (format != "csv") return Results.Json(view);
        var csv = new StringBuilder("currency,customer,period,billed,recognised,unbilled_change,deferred_change,credit_notes\n");
        foreach (var r in view.Rows)
            csv.Append(CultureInfo.InvariantCulture,
                $"{r.Currency},{RevenueReport.Csv(r.Customer)},{r.Period},{r.Billed},{r.Recognised},{r.UnbilledChange},{r.DeferredChange},{r.CreditNotes}\n");
        return ReportRequest.Csv(csv);
    }

    public static async Task<List<BilledVsRecognisedRow>> ReadAsync(NpgsqlDataSource db, LocalDate? from, LocalDate? to, string? customer, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            select e.currency, e.customer_id, e.posting_period, l.account, sum(l.debit - l.credit)
            from ledger.journal_entries e join ledger.journal_lines l on l.entry_id = e.entry_id
            where ($1::text is null or e.customer_id = $1) and ($2::date is null or e.posting_period >= $2) and ($3::date is null or e.posting_period <= $3)
            group by 1, 2, 3, 4 order by 1, 2, 3
            """);
        cmd.Parameters.Add(ReportRequest.Text(customer));
        cmd.Parameters.Add(ReportRequest.Month(from));
        cmd.Parameters.Add(ReportRequest.Month(to));
        var moves = new List<(string Currency, string Customer, string Period, string Account, decimal Debit)>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                moves.Add((reader.GetString(0), reader.GetString(1), $"{reader.GetFieldValue<DateOnly>(2):yyyy-MM}", reader.GetString(3), reader.GetDecimal(4)));
        return moves.GroupBy(m => (m.Currency, m.Customer, m.Period)).Select(g =>
        {
            decimal Of(params string[] accounts) => g.Where(m => accounts.Contains(m.Account)).Sum(m => m.Debit);
            var (billed, recognised, unbilled) = (Of(Accounts.Receivable), -Of(Accounts.Revenue), Of(Accounts.UnbilledReceivable));
            var (deferred, notes) = (-Of(Accounts.ContractLiability), -Of(Accounts.CreditNotes));
            if (billed != recognised - unbilled + deferred + notes)
                throw new InvalidOperationException($"Journal lines of {g.Key} touch an account the reconciliation does not know");
            string M(decimal d) => new Money(d, g.Key.Currency).ToExactString();
            return new BilledVsRecognisedRow(g.Key.Currency, g.Key.Customer, g.Key.Period, M(billed), M(recognised), M(unbilled), M(deferred), M(notes));
        }).ToList();
    }
}
