using System.Text;
using NodaTime;
using Npgsql;

namespace Ledger.Audit;

/// <summary>Signs the chain head and keeps the checkpoints in <c>ledger.audit_checkpoints</c> (append-only).</summary>
/// <remarks>
/// A table, not events: a checkpoint states the hash of the log up to a sequence, so as an event it
/// would itself be chained after the head it signs, and every checkpoint would move the head it names.
/// The table is guarded like the log (0004_audit_chain.sql) and each row carries its own signature.
/// </remarks>
public static class Checkpoints
{
    private const string Columns = "id, seq, head, chained, created_at, key_id, public_key, signature";

    public static async Task<Checkpoint> CreateAsync(NpgsqlDataSource db, AuditSigningKey key, IClock clock, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var (seq, head, chained) = await Chainer.ReadHeadAsync(conn, null, forUpdate: false, ct);
        // PostgreSQL keeps microseconds: the signed time is the stored time.
        var now = clock.GetCurrentInstant();
        var createdAt = Instant.FromUnixTimeTicks(now.ToUnixTimeTicks() / 10 * 10);
        var headHex = ChainHash.Hex(head);
        var signature = key.Sign(Encoding.UTF8.GetBytes(Checkpoint.SignedTextOf(seq, headHex, chained, createdAt, key.KeyId)));
        await using var insert = new NpgsqlCommand("""
            insert into ledger.audit_checkpoints (seq, head, chained, created_at, key_id, public_key, signature)
            values ($1, $2, $3, $4, $5, $6, $7) returning id
            """, conn)
        {
            Parameters =
            {
                new() { Value = seq }, new() { Value = head }, new() { Value = chained }, new() { Value = createdAt.ToDateTimeUtc() },
                new() { Value = key.KeyId }, new() { Value = key.PublicKeyPem }, new() { Value = signature },
            }
        };
        var id = (long)(await insert.ExecuteScalarAsync(ct))!;
        return new Checkpoint(id, seq, headHex, chained, createdAt, key.KeyId, Convert.ToBase64String(signature));
    }

    /// <summary>The newest first, at most <paramref name="limit"/>.</summary>
    public static async Task<IReadOnlyList<Checkpoint>> ListAsync(NpgsqlDataSource db, int limit, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"select {Columns} from ledger.audit_checkpoints order by id desc limit $1");
        cmd.Parameters.Add(new() { Value = limit });
        var list = new List<Checkpoint>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(Read(reader).Checkpoint);
        return list;
    }

    public static async Task<CheckpointExport?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"select {Columns} from ledger.audit_checkpoints where id = $1", conn, tx);
        cmd.Parameters.Add(new() { Value = id });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    public static async Task<Instant?> LatestCreatedAtAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("select max(created_at) from ledger.audit_checkpoints");
        return await cmd.ExecuteScalarAsync(ct) is DateTime at ? Instant.FromDateTimeUtc(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null;
    }

    private static CheckpointExport Read(NpgsqlDataReader r)
    {
        var checkpoint = new Checkpoint(r.GetInt64(0), r.GetInt64(1), ChainHash.Hex(r.GetFieldValue<byte[]>(2)), r.GetInt64(3),
            Instant.FromDateTimeUtc(DateTime.SpecifyKind(r.GetDateTime(4), DateTimeKind.Utc)), r.GetString(5),
            Convert.ToBase64String(r.GetFieldValue<byte[]>(7)));
        return new CheckpointExport(checkpoint, checkpoint.SignedText, Checkpoint.Algorithm, r.GetString(6));
    }
}
