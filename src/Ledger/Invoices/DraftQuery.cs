using System.Data;
using Ledger.Credits;
using Ledger.Rating;
using NodaTime;
using Npgsql;

namespace Ledger.Invoices;

/// <summary>
/// What an invoice for one customer and period is made of, read in one snapshot at one ledger position:
/// rated usage per (model, mode, meter) at full precision, and the credits drawn for that usage.
/// </summary>
public static class DraftQuery
{
    public sealed record UsageGroup(string? Model, string? Mode, string Meter, decimal Quantity, decimal Amount, long Events);

    public sealed record Figures(IReadOnlyList<UsageGroup> Usage, decimal CreditsApplied, long Unpriced, long Unassigned, long AsOf);

    public static async Task<Figures> RunAsync(NpgsqlDataSource db, string customerId, Interval period, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        // The projection commits rows and position together: one snapshot reads one position.
        await using var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await using var batch = new NpgsqlBatch(conn, tx);
        object[] window = [customerId, period.Start.ToDateTimeOffset(), period.End.ToDateTimeOffset()];
        batch.BatchCommands.Add(new(RatingProjection.PositionSql));
        batch.BatchCommands.Add(Command("""
            select r.dimensions->>'model', r.dimensions->>'mode', l.line->>'meter',
                   sum((l.line->>'quantity')::numeric), sum((l.line->>'amount')::numeric), count(distinct r.seq)
            from ledger.rated_usage r cross join lateral jsonb_array_elements(r.lines) as l(line)
            where r.customer_id = $1 and r.usage_at >= $2 and r.usage_at < $3 and r.status = 'rated'
            group by 1, 2, 3 order by 1 nulls first, 2 nulls first, 3
            """, window));
        batch.BatchCommands.Add(Command("""
            select coalesce(sum((d.dd->>'amount')::numeric), 0)
            from ledger.rated_usage r cross join lateral jsonb_array_elements(r.drawdowns) as d(dd)
            where r.customer_id = $1 and r.usage_at >= $2 and r.usage_at < $3 and r.drawdowns is not null and d.dd->>'grant' not like 'allowance:%'
            """, window));
        batch.BatchCommands.Add(Command("""
            select count(*) filter (where status = 'unpriced'), count(*) filter (where status = 'unassigned')
            from ledger.rated_usage where customer_id = $1 and usage_at >= $2 and usage_at < $3 and status <> 'rated'
            """, window));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var asOf = reader.GetInt64(0);
        await reader.NextResultAsync(ct);
        var usage = new List<UsageGroup>();
        while (await reader.ReadAsync(ct))
            usage.Add(new UsageGroup(reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetString(2), reader.GetDecimal(3), reader.GetDecimal(4), reader.GetInt64(5)));
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var credits = reader.GetDecimal(0);
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        return new Figures(usage, credits, reader.GetInt64(0), reader.GetInt64(1), asOf);
    }

    private static NpgsqlBatchCommand Command(string sql, object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var v in values) command.Parameters.Add(new NpgsqlParameter { Value = v });
        return command;
    }
}
