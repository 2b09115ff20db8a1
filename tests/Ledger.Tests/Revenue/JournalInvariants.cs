using System.Data;
using Ledger.Tests.Invoices;
using Ledger.Tests.Support;

namespace Ledger.Tests.Revenue;

/// <summary>Invariants over every entry in the database, whichever tests made them.</summary>
[Collection(LedgerCollection.Name)]
public sealed class journal_invariants(LedgerFixture ledger)
{
    private readonly JournalScenario _journal = new(ledger);

    [Fact]
    public async Task every_journal_entry_balances()
    {
        await WithUsageAsync();
        await using var cmd = ledger.Database.CreateCommand("""
            select count(*) filter (where d <> c or lines < 2 or d = 0), count(*)
            from (select e.entry_id, coalesce(sum(l.debit), 0) d, coalesce(sum(l.credit), 0) c, count(l.line) lines
                  from ledger.journal_entries e left join ledger.journal_lines l on l.entry_id = e.entry_id group by e.entry_id) t
            """);
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Assert.True(reader.GetInt64(1) > 0, "no entries to check");
            Assert.Equal(0, reader.GetInt64(0));
        }
        foreach (var currency in (await _journal.GetAsync("/v1/journal/balances")).GetProperty("currencies").EnumerateArray())
            Assert.Equal(currency.GetProperty("debits").GetString(), currency.GetProperty("credits").GetString());
    }

    [Fact]
    public async Task journal_usage_links_sum_exactly_to_each_entry()
    {
        var s = await WithUsageAsync();
        await using (var cmd = ledger.Database.CreateCommand("""
            select count(*) filter (where e.amount is distinct from u.amount), count(*)
            from ledger.journal_entries e full join (select entry_id, sum(amount) amount from ledger.journal_usage group by 1) u on u.entry_id = e.entry_id
            where e.kind like 'usage_%' or u.entry_id is not null
            """))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Assert.True(reader.GetInt64(1) > 0, "no usage entries to check");
            Assert.Equal(0, reader.GetInt64(0));
        }

        // Each event's posted shares add up to how it is paid now, for every row the last run saw (later changes are the next run's).
        await using (var conn = await ledger.Database.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead))
        await using (var cmd = new Npgsql.NpgsqlCommand("""
            with seen as (select r.* from ledger.rated_usage r where r.journal_tick <= (select usage_tick from ledger.journal_runs order by run_id desc limit 1)),
            paid as (select s.seq, coalesce(s.uncovered, 0) + coalesce((select sum((x->>'amount')::numeric) from jsonb_array_elements(coalesce(s.drawdowns, '[]')) x
                                                                     where x->>'grant' not like 'allowance:%'), 0) as amount from seen s),
            posted as (select seq, sum(amount) amount from ledger.journal_usage group by seq)
            select count(*) filter (where p.amount <> coalesce(j.amount, 0)), count(*) from paid p left join posted j on j.seq = p.seq
            """, conn, tx))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Assert.Equal(0, reader.GetInt64(0));
        }

        // Through the API: an entry's events, each with its share, add up to the entry.
        var entry = Assert.Single(await _journal.EntriesAsync(s.Customer));
        var detail = await _journal.GetAsync($"/v1/journal/entries/{entry.Id}");
        Assert.Equal(2, detail.GetProperty("usage_events_total").GetInt64());
        Assert.Equal(entry.Amount, JournalScenario.D(detail.GetProperty("usage_events_sum").GetString()!));
        Assert.Equal(entry.Amount, detail.GetProperty("usage_events").EnumerateArray().Sum(e => JournalScenario.D(e.GetProperty("amount").GetString()!)));
    }

    /// <summary>A fresh customer with two usage events on one day (one entry), posted.</summary>
    private async Task<InvoiceScenario> WithUsageAsync()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-06-03T01:00:00Z", 1_111_111);
        await s.UseAsync("2026-06-03T23:00:00Z", 2_222_222);
        await _journal.PostAsync();
        return s;
    }
}
