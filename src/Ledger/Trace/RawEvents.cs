using System.Text.Json;
using System.Text.Json.Nodes;
using JasperFx.Events;
using Ledger.Audit;
using Ledger.Rating;
using Ledger.Usage;
using NodaTime;
using Npgsql;

namespace Ledger.Trace;

/// <summary>
/// An event's place in the hash chain, checked locally: <c>linked</c> when its stored chain hash is SHA-256(the previous stored
/// hash || the leaf recomputed from its row now), <c>altered</c> when not, <c>unchained</c> when the chainer has not reached it.
/// <see cref="Covered"/>: the latest signed checkpoint's sequence is at or past it (docs/audit.md#tracing).
/// </summary>
public sealed record ChainStatus(string Status, string? Hash, string? PreviousHash, bool Covered);

/// <summary>A raw event of the log: as received (a usage event as its CloudEvent), where it sits, and its chain status.</summary>
public sealed record RawEvent(long Sequence, string Type, string? Stream, Instant StoredAt, JsonNode? Event, ChainStatus Chain);

/// <summary>The latest signed checkpoint, once per trace page; <see cref="SignatureValid"/> against the ledger's trusted keys.</summary>
public sealed record CheckpointStatus(long Id, long Sequence, string Head, Instant CreatedAt, bool SignatureValid);

/// <summary>
/// Reads raw events by sequence with their chain status. Each event is checked against its own link of the stored chain (one
/// previous hash and one SHA-256 per event), never by walking the whole chain: GET /v1/audit/verify does that.
/// </summary>
public static class RawEvents
{
    private static readonly string UsageType = typeof(UsageRecorded).GetEventTypeName();

    private static readonly string Sql = $"""
        select {ChainHash.RowColumns}, c.hash, p.hash
        from ledger.mt_events e
        left join ledger.event_chain c on c.seq = e.seq_id
        left join lateral (select x.hash from ledger.event_chain x where x.seq < e.seq_id order by x.seq desc limit 1) p on true
        where e.seq_id = any($1)
        """;

    public static async Task<Dictionary<long, RawEvent>> LoadAsync(NpgsqlDataSource db, IReadOnlyCollection<long> seqs, CheckpointStatus? checkpoint,
        CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await LoadAsync(conn, seqs, checkpoint, ct);
    }

    public static async Task<Dictionary<long, RawEvent>> LoadAsync(NpgsqlConnection conn, IReadOnlyCollection<long> seqs, CheckpointStatus? checkpoint,
        CancellationToken ct)
    {
        var found = new Dictionary<long, RawEvent>();
        if (seqs.Count == 0) return found;
        await using var cmd = new NpgsqlCommand(Sql, conn) { Parameters = { new() { Value = seqs.Distinct().ToArray() } } };
        await cmd.PrepareAsync(ct);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var row = ChainHash.Read(reader);
            var stored = reader.IsDBNull(9) ? null : reader.GetFieldValue<byte[]>(9);
            var previous = reader.IsDBNull(10) ? ChainHash.Genesis : reader.GetFieldValue<byte[]>(10);
            var status = stored is null ? "unchained" : ChainHash.Next(previous, row).AsSpan().SequenceEqual(stored) ? "linked" : "altered";
            var chain = new ChainStatus(status, stored is null ? null : ChainHash.Hex(stored), stored is null ? null : ChainHash.Hex(previous),
                stored is not null && checkpoint is { } cp && row.Seq <= cp.Sequence);
            found[row.Seq] = new RawEvent(row.Seq, row.Type, row.StreamId, Instant.FromUnixTimeTicks(row.TimestampMicros * 10), AsReceived(row), chain);
        }
        return found;
    }

    public static async Task<CheckpointStatus?> LatestCheckpointAsync(NpgsqlDataSource db, AuditSigningKey key, CancellationToken ct)
    {
        var latest = (await Checkpoints.ListAsync(db, 1, ct)).FirstOrDefault();
        return latest is null ? null
            : new CheckpointStatus(latest.Id, latest.Sequence, latest.Head, latest.CreatedAt, key.Trusts(latest));
    }

    /// <summary>A usage event as its CloudEvent (as GET /v1/events/{source}/{id} shows it); any other event as its stored data.</summary>
    private static JsonNode? AsReceived(ChainRow row)
    {
        if (row.Type != UsageType) return JsonNode.Parse(row.Data);
        var usage = JsonSerializer.Deserialize<UsageRecorded>(row.Data, RatingJson.Options);
        return usage is null ? JsonNode.Parse(row.Data) : GetEvent.ToCloudEvent(usage);
    }
}
