using Microsoft.Extensions.Options;
using System.Data;
using System.Text.Json;
using Ledger.Invoices;
using Ledger.Rating;
using Marten;
using NodaTime;
using Npgsql;

namespace Ledger.Revenue;

/// <summary>
/// A posting run: everything the journal can derive up to the rating projection's position, in one repeatable-read
/// transaction (one snapshot: rated usage, credit grants, the events up to that position and the journal so far agree), its
/// cursor recorded in the same transaction. Runs take turns on an advisory lock taken before the snapshot, so a run always
/// sees the entries of the one before it and never posts them again (docs/revenue.md#posting-runs).
/// </summary>
public sealed class JournalPoster(IDocumentStore store, NpgsqlDataSource db, IClock clock, IOptions<JournalOptions> options)
{
    public sealed record Run(long RunId, long Position, int Entries, LocalDate? OpenPeriod);

    public async Task<T> LockedAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using (var cmd = new NpgsqlCommand("select pg_advisory_lock(hashtextextended('ledger-journal', 0))", conn)) await cmd.ExecuteNonQueryAsync(ct);
        try
        {
            return await work(conn);
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("select pg_advisory_unlock_all()", conn);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    public Task<Run> PostAsync(CancellationToken ct) => LockedAsync(conn => PostLockedAsync(conn, ct), ct);

    /// <summary>One run; the caller holds the lock (<see cref="LockedAsync{T}"/>).</summary>
    public async Task<Run> PostLockedAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        var (last, lastTick, lastPosition) = await LastRunAsync(conn, tx, ct);
        var position = (long)(await Scalar(conn, tx, RatingProjection.PositionSql, ct))!;
        var open = await OpenPeriodAsync(conn, tx, ct);
        var tick = (long)(await Scalar(conn, tx, UsagePosting.TickSql, ct, lastTick))!;
        var run = last + 1;
        var now = clock.GetCurrentInstant().ToDateTimeOffset();
        var openDate = open is { } o ? new DateOnly(o.Year, o.Month, o.Day) : (DateOnly?)null;

        var posted = await UsagePosting.PostAsync(conn, tx, lastTick, run, openDate, now, ct);
        var grants = await GrantPosting.PlanAsync(conn, tx, run, BreakagePolicy.Of(options.Value), Journal.UtcDate(clock.GetCurrentInstant()), ct);
        var planned = grants.Select(g => g.Entry).ToList();
        foreach (var (sequence, issued) in await InvoicesAsync(conn, tx, lastPosition, position, ct))
            planned.AddRange(InvoiceEntries.Plan(issued.Invoice, sequence));
        var ids = await JournalStore.InsertAsync(conn, tx, run, planned, open, now, ct);
        await JournalStore.LinkGrantsAsync(conn, tx, grants.Select((g, i) => (g.Customer, g.Grant, ids[i], g.Entry.Amount)).ToList(), ct);
        posted += planned.Count;

        if (posted == 0 && tick == lastTick && position == lastPosition)
            return new Run(last, position, 0, open); // nothing new: no run recorded (the transaction rolls back unused)
        await using (var insert = new NpgsqlCommand(
            "insert into ledger.journal_runs (run_id, ran_at, position, usage_tick, open_period, entries) values ($1, $2, $3, $4, $5, $6)", conn, tx))
        {
            foreach (var value in new object[] { run, now, position, tick }) insert.Parameters.Add(new NpgsqlParameter { Value = value });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)openDate ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Date });
            insert.Parameters.Add(new NpgsqlParameter { Value = posted });
            await insert.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return new Run(run, position, posted, open);
    }

    /// <summary>The first day of the first month after the last closed one; null while none is closed.</summary>
    public static async Task<LocalDate?> OpenPeriodAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct)
    {
        var closed = await Scalar(conn, tx, "select max(data->>'period') from ledger.mt_events where stream_id = $1", ct, AccountingPeriodClosed.StreamKey);
        return closed is string month ? AccountingPeriodClosed.Month.Parse(month).Value.PlusMonths(1) : null;
    }

    private static async Task<(long Run, long Tick, long Position)> LastRunAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select run_id, usage_tick, position from ledger.journal_runs order by run_id desc limit 1", conn, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)) : (0, 0, 0);
    }

    /// <summary>The invoices issued after the last run, up to the position (below it every event has committed or never will).</summary>
    private async Task<List<(long Sequence, InvoiceIssued Issued)>> InvoicesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long after, long upTo,
        CancellationToken ct)
    {
        var invoices = new List<(long, InvoiceIssued)>();
        if (upTo <= after) return invoices;
        await using var cmd = new NpgsqlCommand(
            "select seq_id, data from ledger.mt_events where seq_id > $1 and seq_id <= $2 and type = 'invoice_issued' order by seq_id", conn, tx);
        cmd.Parameters.Add(new() { Value = after });
        cmd.Parameters.Add(new() { Value = upTo });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var serializer = store.Options.Serializer();
        while (await reader.ReadAsync(ct)) invoices.Add((reader.GetInt64(0), serializer.FromJson<InvoiceIssued>(reader, 1)));
        return invoices;
    }

    public static async Task<object?> Scalar(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct, params object[] values)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var value in values) cmd.Parameters.Add(new NpgsqlParameter { Value = value });
        var result = await cmd.ExecuteScalarAsync(ct);
        return result is DBNull ? null : result;
    }
}
