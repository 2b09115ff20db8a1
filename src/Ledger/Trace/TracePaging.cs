using Ledger.Hosting;
using Npgsql;

namespace Ledger.Trace;

/// <summary>Pages of a trace hop: <c>limit</c> 1-1000 (default 100), <c>cursor</c> the <c>next_cursor</c> of the page before (a number).</summary>
public static class TracePaging
{
    public const int DefaultLimit = 100, MaxLimit = 1000;

    public static IResult? Parse(string? cursor, int? limit, out long after, out int take)
    {
        after = 0;
        take = limit ?? DefaultLimit;
        if (take is < 1 or > MaxLimit) return Problems.BadRequest("Invalid limit", $"limit must be from 1 to {MaxLimit} (default {DefaultLimit}).", "limit");
        if (cursor is not null && (!long.TryParse(cursor, out after) || after < 0))
            return Problems.BadRequest("Invalid cursor", "cursor is the next_cursor of the previous page (a number); leave it out for the first page.", "cursor");
        return null;
    }

    /// <summary>
    /// Runs a hop query whose rows are (count of all children, sum of all children, child key, child amount): totals over the whole
    /// hop on every row (also when the page is empty), then the page's children, the key null when there are none.
    /// </summary>
    public static async Task<(long Count, decimal Sum, List<(long Key, decimal Amount)> Page)> ReadAsync(NpgsqlConnection conn, string sql, object[] values,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var v in values) cmd.Parameters.Add(new NpgsqlParameter { Value = v });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var (count, sum, page) = (0L, 0m, new List<(long, decimal)>());
        while (await reader.ReadAsync(ct))
        {
            (count, sum) = (reader.GetInt64(0), reader.GetDecimal(1));
            if (!reader.IsDBNull(2)) page.Add((reader.GetInt64(2), reader.GetDecimal(3)));
        }
        return (count, sum, page);
    }
}
