using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Ledger.Audit;

/// <summary>
/// One row of <c>ledger.mt_events</c> as the chain sees it: every field that identifies the event or
/// carries its content, in the text PostgreSQL gives back (jsonb is already normalised by the server).
/// </summary>
/// <param name="TimestampMicros">The stored <c>timestamp</c>, microseconds since the Unix epoch, UTC.</param>
public sealed record ChainRow(long Seq, Guid Id, string? StreamId, long Version, string Type, long TimestampMicros,
    string? TenantId, string Data, string? Headers);

/// <summary>
/// The hash chain's arithmetic, with no I/O: <c>hash_n = SHA-256(hash_(n-1) || leaf_n)</c> with
/// <c>leaf_n = SHA-256(canonical(row_n))</c>, genesis 32 zero bytes. Chaining the row's own hash (not
/// its bytes) lets a proof show one customer's events reach a signed checkpoint by listing only the
/// 32-byte leaves of the other events in between, never their content.
/// </summary>
/// <remarks>
/// canonical(row) is the nine fields in a fixed order, each as a 4-byte big-endian length followed by
/// its UTF-8 bytes (a null is the length 0xFFFFFFFF and no bytes): seq_id, id, stream_id, version, type,
/// timestamp, tenant_id, data, headers. Numbers are decimal text, the id is the lower-case hyphenated
/// uuid, the timestamp is microseconds since 1970-01-01T00:00:00Z. Length prefixes make the encoding
/// unambiguous: no two different rows give the same bytes, whatever their fields contain.
/// docs/audit.md states the same rule for someone re-implementing it. This file uses the BCL only: the offline
/// proof checker (tools/ProofCheck) compiles it as it is; the SQL side is in ChainHash.Sql.cs.
/// </remarks>
public static partial class ChainHash
{
    public const int Size = 32;
    public static byte[] Genesis => new byte[Size];

    /// <summary>The hash of <paramref name="row"/> chained to <paramref name="previous"/>.</summary>
    public static byte[] Next(ReadOnlySpan<byte> previous, ChainRow row) => Link(previous, Leaf(row));

    /// <summary>The row's own hash: SHA-256 of its canonical bytes.</summary>
    public static byte[] Leaf(ChainRow row) => SHA256.HashData(Canonical(row));

    /// <summary>A leaf chained to <paramref name="previous"/>: what a proof recomputes from leaves alone.</summary>
    public static byte[] Link(ReadOnlySpan<byte> previous, ReadOnlySpan<byte> leaf)
    {
        Span<byte> both = stackalloc byte[Size * 2];
        previous.CopyTo(both);
        leaf.CopyTo(both[Size..]);
        return SHA256.HashData(both);
    }

    public static byte[] Canonical(ChainRow row)
    {
        string?[] fields =
        [
            row.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), row.Id.ToString("D"), row.StreamId,
            row.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), row.Type,
            row.TimestampMicros.ToString(System.Globalization.CultureInfo.InvariantCulture), row.TenantId, row.Data, row.Headers,
        ];
        var length = fields.Sum(f => 4 + (f is null ? 0 : Encoding.UTF8.GetByteCount(f)));
        var bytes = new byte[length];
        var at = 0;
        foreach (var field in fields)
        {
            if (field is null)
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), uint.MaxValue);
                at += 4;
                continue;
            }
            var written = Encoding.UTF8.GetBytes(field, bytes.AsSpan(at + 4));
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), (uint)written);
            at += 4 + written;
        }
        return bytes;
    }

    public static string Hex(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash);
}
