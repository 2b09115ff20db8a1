using System.Text.Json;
using Ledger.Kernel;
using NodaTime;
using Npgsql;

namespace Ledger.Revenue;

public sealed record JournalLineView(string Account, string Debit, string Credit, string? Memo);

public sealed record JournalEntryView(long Id, string Kind, string Customer, string Currency, string PostingPeriod, LocalDate ServiceDate, string? Model,
    string Amount, string Description, JsonElement Cause, Instant PostedAt, long Run, IReadOnlyList<JournalLineView> Lines);

/// <summary>Reads journal entries with their lines (one statement: entries in id order, their lines aggregated as JSON).</summary>
public static class JournalQuery
{
    public sealed record Filter(string? Customer, LocalDate? From, LocalDate? To, string? Account, long After, int Limit, long? Id = null);

    private const string Sql = """
        select e.entry_id, e.kind, e.customer_id, e.currency, e.posting_period, e.service_date, e.model, e.amount, e.description, e.cause::text,
               e.posted_at, e.run_id,
               (select jsonb_agg(jsonb_build_object('account', l.account, 'debit', l.debit, 'credit', l.credit, 'memo', l.memo) order by l.line)::text
                from ledger.journal_lines l where l.entry_id = e.entry_id)
        from ledger.journal_entries e
        where e.entry_id > $1 and ($2::text is null or e.customer_id = $2) and ($3::date is null or e.posting_period >= $3)
          and ($4::date is null or e.posting_period <= $4)
          and ($5::text is null or exists (select 1 from ledger.journal_lines a where a.entry_id = e.entry_id and a.account = $5))
          and ($6::bigint is null or e.entry_id = $6)
        order by e.entry_id limit $7
        """;

    public static async Task<List<JournalEntryView>> ReadAsync(NpgsqlDataSource db, Filter f, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(Sql);
        static DateOnly? D(LocalDate? d) => d is { } v ? new DateOnly(v.Year, v.Month, v.Day) : null;
        foreach (var (value, type) in new (object?, NpgsqlTypes.NpgsqlDbType)[]
                 {
                     (f.After, NpgsqlTypes.NpgsqlDbType.Bigint), (f.Customer, NpgsqlTypes.NpgsqlDbType.Text), (D(f.From), NpgsqlTypes.NpgsqlDbType.Date),
                     (D(f.To), NpgsqlTypes.NpgsqlDbType.Date), (f.Account, NpgsqlTypes.NpgsqlDbType.Text), (f.Id, NpgsqlTypes.NpgsqlDbType.Bigint),
                     (f.Limit, NpgsqlTypes.NpgsqlDbType.Integer)
                 })
            cmd.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = type });
        var entries = new List<JournalEntryView>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var currency = reader.GetString(3);
            string M(decimal d) => new Money(d, currency).ToExactString();
            var period = reader.GetFieldValue<DateOnly>(4);
            var service = reader.GetFieldValue<DateOnly>(5);
            var lines = JsonDocument.Parse(reader.GetString(12)).RootElement.EnumerateArray().Select(l => new JournalLineView(
                l.GetProperty("account").GetString()!, M(l.GetProperty("debit").GetDecimal()), M(l.GetProperty("credit").GetDecimal()),
                l.GetProperty("memo").ValueKind == JsonValueKind.String ? l.GetProperty("memo").GetString() : null)).ToList();
            entries.Add(new JournalEntryView(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), currency, $"{period:yyyy-MM}",
                new LocalDate(service.Year, service.Month, service.Day), reader.IsDBNull(6) ? null : reader.GetString(6), M(reader.GetDecimal(7)),
                reader.GetString(8), JsonDocument.Parse(reader.GetString(9)).RootElement.Clone(),
                Instant.FromDateTimeUtc(DateTime.SpecifyKind(reader.GetDateTime(10), DateTimeKind.Utc)), reader.GetInt64(11), lines));
        }
        return entries;
    }
}
