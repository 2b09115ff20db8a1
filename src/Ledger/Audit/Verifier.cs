using System.Text.Json;
using JasperFx.Events;
using Ledger.Usage;
using Npgsql;

namespace Ledger.Audit;

/// <summary>The first place where the log and its chain disagree.</summary>
/// <param name="Source">For a usage event, its CloudEvents source (and <paramref name="Id"/> its id); otherwise null and
/// <paramref name="Id"/> is the stream id.</param>
/// <param name="Reason">altered, deleted, inserted, checkpoint signature invalid, checkpoint mismatch, truncated.</param>
public sealed record BrokenLink(long Sequence, string? Source, string? Id, string? Stream, string Reason, string Detail);

/// <param name="Checked">Chained events whose row was recomputed and matched.</param>
/// <param name="Head">The recomputed chain hash at the last checked sequence (hex).</param>
/// <param name="Unchained">Events past the chain's end, not covered yet (the chainer trails ingest; not a failure).</param>
public sealed record VerifyReport(bool Valid, long Checked, string Head, long Sequence, long? FromCheckpoint, BrokenLink? FirstBroken,
    long Unchained = 0);

/// <summary>
/// Recomputes the chain from the rows and compares it with <c>ledger.event_chain</c> and the signed
/// checkpoints (docs/audit.md). It walks the log in pages of sequence numbers on one connection, so a
/// log of any size is checked in constant memory, and inside the caller's transaction when given one.
/// </summary>
public static class Verifier
{
    public const int Page = 10_000;
    private static readonly string UsageType = typeof(UsageRecorded).GetEventTypeName();

    /// <summary>Thrown when <c>from_checkpoint</c> names no checkpoint.</summary>
    public sealed class UnknownCheckpoint(long id) : Exception($"No checkpoint {id} exists.");

    /// <param name="trustedKeys">Public keys (PEM) whose checkpoints are believed: the ledger's current key and
    /// earlier ones it rotated away from (<c>Ledger:Audit:PreviousPublicKeys</c>). A checkpoint signed by any other key is invalid.</param>
    public static async Task<VerifyReport> VerifyAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyCollection<string> trustedKeys,
        long? fromCheckpoint, CancellationToken ct)
    {
        long start = 0;
        var previous = ChainHash.Genesis;
        var checkpoints = await CheckpointsBySequenceAsync(conn, tx, ct);
        if (fromCheckpoint is { } id)
        {
            var from = (await Checkpoints.FindAsync(conn, tx, id, ct))?.Checkpoint ?? throw new UnknownCheckpoint(id);
            if (!trustedKeys.Any(from.SignatureValid))
                return Broken(0, ChainHash.Genesis, from.Sequence, id, await Describe(conn, tx, from.Sequence, "checkpoint signature invalid",
                    $"checkpoint {id} (key {from.KeyId}) is not signed by a trusted audit key of this ledger ({string.Join(", ", trustedKeys.Select(k => AuditSigningKey.IdOf(PublicKeyDer(k))))})", ct));
            (start, previous) = (from.Sequence, Convert.FromHexString(from.Head));
        }
        foreach (var cp in checkpoints.Values.SelectMany(c => c).Where(c => c.Sequence > start && !trustedKeys.Any(c.SignatureValid)))
            return Broken(0, previous, start, fromCheckpoint, await Describe(conn, tx, cp.Sequence, "checkpoint signature invalid",
                $"checkpoint {cp.Id} (key {cp.KeyId}) is not signed by a trusted audit key of this ledger", ct));

        var end = await ScalarAsync(conn, tx, "select coalesce(max(seq), 0) from ledger.event_chain", ct);
        long checkedCount = 0;
        var at = start;
        for (var lo = start; lo < end;)
        {
            var hi = Math.Min(end, lo + Page);
            var any = false;
            await using (var page = new NpgsqlCommand($"""
                select coalesce(e.seq_id, c.seq), c.hash, {ChainHash.RowColumns}
                from (select * from ledger.mt_events where seq_id > $1 and seq_id <= $2) e
                full join (select * from ledger.event_chain where seq > $1 and seq <= $2) c on c.seq = e.seq_id
                order by 1
                """, conn, tx) { Parameters = { new() { Value = lo }, new() { Value = hi } } })
            await using (var reader = await page.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    any = true;
                    var seq = reader.GetInt64(0);
                    string? reason = null, detail = null;
                    ChainRow? row = reader.IsDBNull(2) ? null : ChainHash.Read(reader, 2);
                    if (row is null) (reason, detail) = ("deleted", "the chain holds this sequence but the log has no row for it");
                    else if (reader.IsDBNull(1)) (reason, detail) = ("inserted", "the log holds a row below the chain head that was never chained");
                    else
                    {
                        var next = ChainHash.Next(previous, row);
                        if (!next.AsSpan().SequenceEqual(reader.GetFieldValue<byte[]>(1)))
                            (reason, detail) = ("altered", "the row's recomputed hash differs from the chain's");
                        else
                        {
                            previous = next;
                            checkedCount++;
                            at = seq;
                            foreach (var cp in checkpoints.GetValueOrDefault(seq) ?? [])
                                if (cp.Head != ChainHash.Hex(previous))
                                    (reason, detail) = ("checkpoint mismatch", $"the recomputed head differs from signed checkpoint {cp.Id}: the chain was rewritten");
                        }
                    }
                    if (reason is not null)
                    {
                        await reader.DisposeAsync();
                        var broken = row is null ? await Describe(conn, tx, seq, reason, detail!, ct) : Describe(row, reason, detail!);
                        return Broken(checkedCount, previous, at, fromCheckpoint, broken);
                    }
                }
            }
            lo = any || hi == end ? hi : await NextSequenceAsync(conn, tx, hi, end, ct);
        }
        var beyond = checkpoints.Keys.Where(s => s > end).Order().FirstOrDefault();
        if (beyond > 0)
            return Broken(checkedCount, previous, at, fromCheckpoint, await Describe(conn, tx, beyond, "truncated",
                $"a signed checkpoint names sequence {beyond}, past the end of the chain ({end})", ct));
        var unchained = await ScalarAsync(conn, tx, $"select count(*) from ledger.mt_events where seq_id > {end}", ct);
        return new VerifyReport(true, checkedCount, ChainHash.Hex(previous), at, fromCheckpoint, null, unchained);
    }

    private static VerifyReport Broken(long checkedCount, byte[] head, long at, long? from, BrokenLink broken) =>
        new(false, checkedCount, ChainHash.Hex(head), at, from, broken);

    private static BrokenLink Describe(ChainRow row, string reason, string detail)
    {
        if (row.Type == UsageType)
        {
            try
            {
                var data = JsonDocument.Parse(row.Data).RootElement;
                if (data.TryGetProperty("source", out var source) && data.TryGetProperty("eventId", out var id))
                    return new(row.Seq, source.ToString(), id.ToString(), row.StreamId, reason, detail);
            }
            catch (JsonException) { }
        }
        return new(row.Seq, null, row.StreamId, row.StreamId, reason, detail);
    }

    /// <summary>For a sequence with no row: the rated-usage projection still names the usage event that was there.</summary>
    private static async Task<BrokenLink> Describe(NpgsqlConnection conn, NpgsqlTransaction? tx, long seq, string reason, string detail,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            select e.type, e.seq_id, e.id, e.stream_id, e.version, e.type, (extract(epoch from e.timestamp) * 1000000)::bigint,
                   e.tenant_id, e.data::text, e.headers::text, r.source, r.event_id
            from (select $1::bigint as seq) q
            left join ledger.mt_events e on e.seq_id = q.seq
            left join ledger.rated_usage r on r.seq = q.seq
            """, conn, tx) { Parameters = { new() { Value = seq } } };
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        if (!reader.IsDBNull(1)) return Describe(ChainHash.Read(reader, 1), reason, detail);
        return new(seq, reader.IsDBNull(10) ? null : reader.GetString(10), reader.IsDBNull(11) ? null : reader.GetString(11), null, reason, detail);
    }

    private static async Task<Dictionary<long, List<Checkpoint>>> CheckpointsBySequenceAsync(NpgsqlConnection conn, NpgsqlTransaction? tx,
        CancellationToken ct)
    {
        var ids = new List<long>();
        await using (var cmd = new NpgsqlCommand("select id from ledger.audit_checkpoints order by id", conn, tx))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetInt64(0));
        var bySequence = new Dictionary<long, List<Checkpoint>>();
        foreach (var id in ids)
        {
            var cp = (await Checkpoints.FindAsync(conn, tx, id, ct))!.Checkpoint;
            if (!bySequence.TryGetValue(cp.Sequence, out var list)) bySequence[cp.Sequence] = list = [];
            list.Add(cp);
        }
        return bySequence;
    }

    private static async Task<long> NextSequenceAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long after, long end, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            select least((select min(seq_id) from ledger.mt_events where seq_id > $1), (select min(seq) from ledger.event_chain where seq > $1))
            """, conn, tx) { Parameters = { new() { Value = after } } };
        return await cmd.ExecuteScalarAsync(ct) is long next ? Math.Min(end, next - 1) : end;
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static byte[] PublicKeyDer(string pem)
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        key.ImportFromPem(pem);
        return key.ExportSubjectPublicKeyInfo();
    }
}
