using System.Text.Json;
using NodaTime;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.Revenue;

/// <summary>Writes planned entries, set-based (one statement per table), inside a posting run's transaction.</summary>
public static class JournalStore
{
    /// <summary>Stores the entries with their lines; returns their ids, in order.</summary>
    public static async Task<long[]> InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long run, IReadOnlyList<PlannedEntry> entries, LocalDate? open,
        DateTimeOffset now, CancellationToken ct)
    {
        if (entries.Count == 0) return [];
        foreach (var e in entries.Where(e => !e.Balanced || e.Lines.Count < 2))
            throw new InvalidOperationException($"Entry {e.Source} does not balance: {string.Join(", ", e.Lines)}");
        var ids = new long[entries.Count];
        await using (var next = new NpgsqlCommand("select nextval('ledger.journal_entry_id') from generate_series(1, $1)", conn, tx))
        {
            next.Parameters.Add(new() { Value = entries.Count });
            await using var reader = await next.ExecuteReaderAsync(ct);
            for (var i = 0; await reader.ReadAsync(ct); i++) ids[i] = reader.GetInt64(0);
        }
        static DateOnly D(LocalDate d) => new(d.Year, d.Month, d.Day);
        var lines = entries.SelectMany((e, i) => e.Lines.Select((l, n) => (Id: ids[i], Line: n + 1, l))).ToList();
        await using var batch = new NpgsqlBatch(conn, tx);
        batch.BatchCommands.Add(new("""
            insert into ledger.journal_entries (entry_id, run_id, kind, customer_id, currency, posting_period, service_date, model, amount, source,
                cause, description, posted_at)
            select id, $1, kind, customer, currency, period, service, null, amount, source, cause, description, $2
            from unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::date[], $8::date[], $9::numeric[], $10::text[], $11::jsonb[], $12::text[])
                as t(id, kind, customer, currency, period, service, amount, source, cause, description)
            """)
        {
            Parameters =
            {
                new() { Value = run }, new() { Value = now }, new() { Value = ids },
                new() { Value = entries.Select(e => e.Kind).ToArray() }, new() { Value = entries.Select(e => e.CustomerId).ToArray() },
                new() { Value = entries.Select(e => e.Currency).ToArray() },
                new() { Value = entries.Select(e => D(Journal.PostingPeriod(e.PostingDate, open))).ToArray() },
                new() { Value = entries.Select(e => D(e.ServiceDate)).ToArray() }, new() { Value = entries.Select(e => e.Amount).ToArray() },
                new() { Value = entries.Select(e => e.Source).ToArray() },
                new() { Value = entries.Select(e => JsonSerializer.Serialize(e.Cause)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb },
                new() { Value = entries.Select(e => e.Description).ToArray() }
            }
        });
        batch.BatchCommands.Add(new("""
            insert into ledger.journal_lines (entry_id, line, account, debit, credit, memo)
            select * from unnest($1::bigint[], $2::int[], $3::text[], $4::numeric[], $5::numeric[], $6::text[])
            """)
        {
            Parameters =
            {
                new() { Value = lines.Select(l => l.Id).ToArray() }, new() { Value = lines.Select(l => l.Line).ToArray() },
                new() { Value = lines.Select(l => l.l.Account).ToArray() }, new() { Value = lines.Select(l => l.l.Debit).ToArray() },
                new() { Value = lines.Select(l => l.l.Credit).ToArray() }, new() { Value = lines.Select(l => l.l.Memo).ToArray() }
            }
        });
        await batch.ExecuteNonQueryAsync(ct);
        return ids;
    }

    /// <summary>Records which grant each grant entry posted for (the next run compares against their sum).</summary>
    public static async Task LinkGrantsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<(string Customer, string Grant, long Entry, decimal Amount)> links,
        CancellationToken ct)
    {
        if (links.Count == 0) return;
        await using var cmd = new NpgsqlCommand("""
            insert into ledger.journal_grants (customer_id, grant_id, entry_id, amount)
            select * from unnest($1::text[], $2::text[], $3::bigint[], $4::numeric[])
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = links.Select(l => l.Customer).ToArray() });
        cmd.Parameters.Add(new() { Value = links.Select(l => l.Grant).ToArray() });
        cmd.Parameters.Add(new() { Value = links.Select(l => l.Entry).ToArray() });
        cmd.Parameters.Add(new() { Value = links.Select(l => l.Amount).ToArray() });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
