using System.Security.Cryptography;
using System.Text;

namespace Ledger.Usage;

/// <summary>
/// The idempotency key (<c>source</c>, <c>id</c>) of a usage event, turned into the event's id in the
/// event store. The store holds a unique index on that id, so "stored once, for ever" is a property
/// of the database, not of a cache or a time window.
/// </summary>
public static class EventKey
{
    /// <summary>A name-based UUID (RFC 9562 version 8) over SHA-256 of the length-prefixed key.</summary>
    public static Guid ToEventId(string source, string id)
    {
        var text = $"ledger.usage/{source.Length}:{source}/{id}";
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC variant
        return new Guid(bytes, bigEndian: true);
    }
}
