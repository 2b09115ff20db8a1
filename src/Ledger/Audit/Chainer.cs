using JasperFx.Events.Projections;
using NodaTime;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.Audit;

/// <summary>
/// Extends the hash chain over committed events, off the append path (docs/audit.md): ingest never
/// waits for it, and it never locks the event table.
/// </summary>
/// <remarks>
/// It chains only up to Marten's high-water mark: below it every sequence number is either a committed
/// row or a gap that will stay a gap, while above it an append that drew its numbers earlier may still
/// commit (BulkAppend draws them before inserting), and chaining past it would leave that event out for
/// ever. Each batch runs in one transaction that locks the head row, so two chainers on one database
/// (a restart overlapping, two nodes) take turns instead of forking the chain. It wakes on Marten's
/// <c>mt_events_appended</c> notification and polls every <c>Ledger:Audit:ChainPoll</c> (the high-water
/// mark moves just after the notification); it also takes the daily checkpoint when one is due.
/// </remarks>
public sealed class Chainer(NpgsqlDataSource db, AuditSigningKey key, IClock clock, IConfiguration configuration, ILogger<Chainer> logger)
    : BackgroundService
{
    public const int DefaultBatch = 5000;

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        if (!configuration.GetValue("Ledger:Audit:Chainer", true)) return;
        var poll = configuration.GetValue("Ledger:Audit:ChainPoll", TimeSpan.FromMilliseconds(250));
        var batch = configuration.GetValue("Ledger:Audit:ChainBatch", DefaultBatch);
        var interval = configuration.GetValue("Ledger:Audit:CheckpointInterval", TimeSpan.FromDays(1));
        await Task.Yield();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // One connection held for as long as it works: LISTEN belongs to the session.
                await using var conn = await db.OpenConnectionAsync(ct);
                await using (var listen = new NpgsqlCommand("listen mt_events_appended", conn)) await listen.ExecuteNonQueryAsync(ct);
                var lastCheckpoint = await Checkpoints.LatestCreatedAtAsync(db, ct);
                while (true)
                {
                    while (await ChainBatchAsync(db, batch, ct) == batch) { }
                    if (lastCheckpoint is null || clock.GetCurrentInstant() - lastCheckpoint.Value >= Duration.FromTimeSpan(interval))
                    {
                        var checkpoint = await Checkpoints.CreateAsync(db, key, clock, ct);
                        lastCheckpoint = checkpoint.CreatedAt;
                        logger.LogInformation("Audit checkpoint {Id}: sequence {Sequence}, head {Head}", checkpoint.Id, checkpoint.Sequence, checkpoint.Head);
                    }
                    await conn.WaitAsync(poll, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "The audit chainer failed; retrying in 1 s (ingest is unaffected, the chain catches up)");
                try { await Task.Delay(TimeSpan.FromSeconds(1), ct); } catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>Chains up to <paramref name="max"/> committed events past the head, in one transaction; returns how many.</summary>
    public static async Task<int> ChainBatchAsync(NpgsqlDataSource db, int max, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var (seq, previous, chained) = await ReadHeadAsync(conn, tx, forUpdate: true, ct);

        var seqs = new List<long>(Math.Min(max, 1024));
        var hashes = new List<byte[]>(Math.Min(max, 1024));
        await using (var read = new NpgsqlCommand($"""
            select {ChainHash.RowColumns} from ledger.mt_events e
            where e.seq_id > $1 and e.seq_id <= (select coalesce(max(last_seq_id), 0) from ledger.mt_event_progression where name = $2)
            order by e.seq_id limit $3
            """, conn, tx))
        {
            read.Parameters.Add(new() { Value = seq });
            read.Parameters.Add(new() { Value = ShardState.HighWaterMark });
            read.Parameters.Add(new() { Value = max });
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var row = ChainHash.Read(reader);
                previous = ChainHash.Next(previous, row);
                seqs.Add(row.Seq);
                hashes.Add(previous);
            }
        }
        if (seqs.Count == 0) return 0;

        await using var write = new NpgsqlBatch(conn, tx);
        write.BatchCommands.Add(new("insert into ledger.event_chain (seq, hash) select * from unnest($1::bigint[], $2::bytea[])")
        {
            Parameters = { new() { Value = seqs.ToArray() }, new() { Value = hashes.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea } }
        });
        write.BatchCommands.Add(new("update ledger.event_chain_head set seq = $1, hash = $2, chained = $3")
        {
            Parameters = { new() { Value = seqs[^1] }, new() { Value = previous }, new() { Value = chained + seqs.Count } }
        });
        await write.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return seqs.Count;
    }

    public static async Task<(long Seq, byte[] Hash, long Chained)> ReadHeadAsync(NpgsqlConnection conn, NpgsqlTransaction? tx,
        bool forUpdate, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "select seq, hash, chained from ledger.event_chain_head" + (forUpdate ? " for update" : ""), conn, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) throw new InvalidOperationException("ledger.event_chain_head has no row: the audit migration did not run.");
        return (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetInt64(2));
    }
}
