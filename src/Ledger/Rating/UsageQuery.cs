using System.Data;
using NodaTime;
using Npgsql;

namespace Ledger.Rating;

/// <summary>Sums of <c>ledger.rated_usage</c> for one customer and window, consistent with one ledger position.</summary>
public static class UsageQuery
{
    public const string Meter = "meter";

    public sealed record Group(IReadOnlyList<string?> Keys, decimal Quantity, long Events, decimal Amount);

    public sealed record Report(IReadOnlyList<Group> Groups, decimal Total, long Unpriced, long Unassigned, long AsOf);

    public static async Task<Report> RunAsync(NpgsqlDataSource db, string customerId, Interval window, IReadOnlyList<string> groupBy, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        // One snapshot: the rows and the projection's position were committed together, so read them together.
        await using var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        var asOf = await ScalarAsync<long>(conn, tx, RatingProjection.PositionSql, [], ct);

        var byMeter = groupBy.Contains(Meter);
        var keys = new List<string>();
        var parameters = new List<object> { customerId, window.Start.ToDateTimeUtc(), window.End.ToDateTimeUtc() };
        foreach (var g in groupBy)
        {
            if (g == Meter) keys.Add("l.line->>'meter'");
            else
            {
                parameters.Add(g);
                keys.Add($"r.dimensions->>${parameters.Count}");
            }
        }
        var select = keys.Count == 0 ? "" : string.Join(", ", keys) + ", ";
        var sql = $"""
            select {select}{(byMeter ? "sum((l.line->>'quantity')::numeric), count(distinct r.seq), sum((l.line->>'amount')::numeric)" : "0, count(*), sum(r.amount)")}
            from ledger.rated_usage r {(byMeter ? "cross join lateral jsonb_array_elements(r.lines) as l(line)" : "")}
            where r.customer_id = $1 and r.usage_at >= $2 and r.usage_at < $3 and r.status = 'rated'
            {(keys.Count == 0 ? "" : "group by " + string.Join(", ", Enumerable.Range(1, keys.Count)))}
            {(keys.Count == 0 ? "" : "order by " + string.Join(", ", Enumerable.Range(1, keys.Count)))}
            """;
        var groups = new List<Group>();
        await using (var cmd = Command(conn, tx, sql, parameters))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
            {
                var n = keys.Count;
                var k = Enumerable.Range(0, n).Select(i => reader.IsDBNull(i) ? null : reader.GetString(i)).ToList();
                groups.Add(new Group(k, reader.GetDecimal(n), reader.GetInt64(n + 1), reader.IsDBNull(n + 2) ? 0m : reader.GetDecimal(n + 2)));
            }

        long unpriced = 0, unassigned = 0;
        await using (var cmd = Command(conn, tx, """
            select count(*) filter (where status = 'unpriced'), count(*) filter (where status = 'unassigned')
            from ledger.rated_usage where customer_id = $1 and usage_at >= $2 and usage_at < $3 and status <> 'rated'
            """, parameters.Take(3).ToList()))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            if (await reader.ReadAsync(ct)) (unpriced, unassigned) = (reader.GetInt64(0), reader.GetInt64(1));
        await tx.CommitAsync(ct);

        // Without group_by the query returns one row, the total; groups (or their per-meter lines) add up to it exactly.
        return new Report(keys.Count == 0 ? [] : groups, groups.Sum(g => g.Amount), unpriced, unassigned, asOf);
    }

    private static NpgsqlCommand Command(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, IReadOnlyList<object> parameters)
    {
        var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var p in parameters) cmd.Parameters.Add(new NpgsqlParameter { Value = p });
        return cmd;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, object[] parameters, CancellationToken ct)
    {
        await using var cmd = Command(conn, tx, sql, parameters);
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
