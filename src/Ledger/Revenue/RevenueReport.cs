using System.Globalization;
using System.Text;
using Ledger.Access;
using Ledger.Kernel;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Revenue;

/// <summary>Revenue of one posting period, customer, model and type (the revenue or contra-revenue account); credit balances as positive revenue.</summary>
public sealed record RevenueRow(string Currency, string Period, string Customer, string? Model, string Type, string Amount);

public sealed record RevenueReportView(string? From, string? To, IReadOnlyList<RevenueRow> Rows);

/// <summary>Revenue disaggregated by period, customer, model and type, summed from the journal (docs/revenue.md#reports).</summary>
public static class RevenueReport
{
    [WolverineGet("/v1/reports/revenue")]
    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    [Tags("Journal"), EndpointSummary("Revenue by accounting period, customer, model and type (JSON, or CSV with ?format=csv)")]
    [EndpointDescription("from, to: posting periods yyyy-MM (inclusive). customer: one customer only. type is usage_revenue, subscription_revenue, " +
        "breakage_revenue or promotional_credits (contra-revenue, negative). Amounts are credits − debits on the account, exact.")]
    [ProducesResponseType<RevenueReportView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> Get(string? from, string? to, string? customer, string? format, NpgsqlDataSource db, CancellationToken ct)
    {
        if (ReportRequest.Read(from, to, format, out var start, out var end) is { } bad) return bad;
        await using var cmd = db.CreateCommand("""
            select e.currency, e.posting_period, e.customer_id, e.model, l.account, sum(l.credit - l.debit)
            from ledger.journal_entries e join ledger.journal_lines l on l.entry_id = e.entry_id
            where l.account = any($1) and ($2::text is null or e.customer_id = $2)
              and ($3::date is null or e.posting_period >= $3) and ($4::date is null or e.posting_period <= $4)
            group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4 nulls first, 5
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = Accounts.Revenue });
        cmd.Parameters.Add(ReportRequest.Text(customer));
        cmd.Parameters.Add(ReportRequest.Month(start));
        cmd.Parameters.Add(ReportRequest.Month(end));
        var rows = new List<RevenueRow>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                rows.Add(new RevenueRow(reader.GetString(0), $"{reader.GetFieldValue<DateOnly>(1):yyyy-MM}", reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4), new Money(reader.GetDecimal(5), reader.GetString(0)).ToExactString()));
        if (format != "csv") return Results.Json(new RevenueReportView(from, to, rows));
        var csv = new StringBuilder("currency,period,customer,model,type,amount\n");
        foreach (var r in rows) csv.Append(CultureInfo.InvariantCulture, $"{r.Currency},{r.Period},{Csv(r.Customer)},{Csv(r.Model ?? "")},{r.Type},{r.Amount}\n");
        return ReportRequest.Csv(csv);
    }

    /// <summary>A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).</summary>
    public static string Csv(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}
