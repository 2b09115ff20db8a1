using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NodaTime.Text;

namespace Ledger.Webhooks;

/// <summary>
/// What goes on the wire: the JSON body and its Stripe-style signature
/// <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;body&gt;")&gt;</c>. The timestamp is signed
/// with the body so a receiver can refuse replays of an old request (docs/webhooks.md).
/// </summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    public static string NewSecret() => SecretPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>The key is the UTF-8 bytes of the whole secret, prefix included.</summary>
    public static string Sign(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{unixSeconds}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    public static string Header(string secret, long unixSeconds, ReadOnlySpan<byte> body) =>
        $"t={unixSeconds},v1={Sign(secret, unixSeconds, body)}";

    /// <summary>
    /// <c>{"id","type","customer","occurred_at","data"}</c>, written by hand so the bytes are the same on every
    /// attempt and <c>customer</c> is present (null) even when the notice concerns no customer.
    /// </summary>
    public static byte[] Body(WebhookDeliveryRecord delivery)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", delivery.Id);
            json.WriteString("type", delivery.Type);
            if (delivery.CustomerId is null) json.WriteNull("customer");
            else json.WriteString("customer", delivery.CustomerId);
            json.WriteString("occurred_at", InstantPattern.ExtendedIso.Format(delivery.OccurredAt));
            json.WritePropertyName("data");
            if (delivery.Data.ValueKind == JsonValueKind.Undefined) json.WriteNullValue();
            else delivery.Data.WriteTo(json);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
