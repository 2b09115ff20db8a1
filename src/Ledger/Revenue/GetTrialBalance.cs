using Ledger.Access;
using Ledger.Kernel;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Revenue;

public sealed record AccountBalanceView(string Account, string Debits, string Credits, string Balance);

public sealed record CurrencyTrialBalance(string Currency, IReadOnlyList<AccountBalanceView> Accounts, string Debits, string Credits);

public sealed record TrialBalanceView(string? AsOf, string? Customer, IReadOnlyList<CurrencyTrialBalance> Currencies);

public static class GetTrialBalance
{
    [WolverineGet("/v1/journal/balances")]
    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    [Tags("Journal"), EndpointSummary("Trial balance: debits, credits and balance per account, per currency")]
    [EndpointDescription("as_of: the last posting period included (yyyy-MM; default: all). customer: one customer's entries only. " +
        "balance = debits − credits (positive: a debit balance). Debits equal credits in every currency, for any selection, because every entry balances.")]
    [ProducesResponseType<TrialBalanceView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> Get(string? as_of, string? customer, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!GetJournal.TryMonth(as_of, out var month)) return GetJournal.BadMonth("as_of");
        await using var cmd = db.CreateCommand("""
            select e.currency, l.account, sum(l.debit), sum(l.credit)
            from ledger.journal_entries e join ledger.journal_lines l on l.entry_id = e.entry_id
            where ($1::date is null or e.posting_period <= $1) and ($2::text is null or e.customer_id = $2)
            group by 1, 2 order by 1, 2
            """);
        cmd.Parameters.Add(new NpgsqlParameter
        {
            Value = month is { } m ? new DateOnly(m.Year, m.Month, 1) : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Date
        });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)customer ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var rows = new List<(string Currency, string Account, decimal Debits, decimal Credits)>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetDecimal(2), reader.GetDecimal(3)));
        var currencies = rows.GroupBy(r => r.Currency).Select(g =>
        {
            string M(decimal d) => new Money(d, g.Key).ToExactString();
            return new CurrencyTrialBalance(g.Key, g.Select(r => new AccountBalanceView(r.Account, M(r.Debits), M(r.Credits), M(r.Debits - r.Credits))).ToList(),
                M(g.Sum(r => r.Debits)), M(g.Sum(r => r.Credits)));
        }).ToList();
        return Results.Json(new TrialBalanceView(as_of, customer, currencies));
    }
}
