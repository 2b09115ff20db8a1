using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Ledger.Audit;

/// <summary>The outcome of checking a proof bundle: valid, or the first thing that does not hold.</summary>
/// <param name="Sequence">The ledger sequence the failure is at, when it is at one event.</param>
public sealed record ProofVerdict(bool Valid, string Message, long? Sequence = null);

/// <summary>
/// Checks a customer proof bundle (<c>GET /v1/audit/proofs</c>) with nothing but the bundle: no database, no
/// ledger. Recomputes each event's leaf from its row fields, finds it at its sequence among the listed leaves,
/// chains every leaf from <c>start</c> and compares the result with the signed checkpoint head, and checks the
/// checkpoint's signature over its signed text with its public key (docs/audit.md, "Proof bundles").
/// </summary>
/// <remarks>
/// BCL only, like ChainHash.cs: tools/ProofCheck compiles both files as they are, so the offline checker and
/// the ledger share one rule. Trusting <c>start</c> as given is sound: a different start (or any different leaf)
/// would need a SHA-256 second preimage to reach the same signed head.
/// </remarks>
public static class ProofCheck
{
    public const string Format = "ledger-proof-bundle-v1";

    public static ProofVerdict Check(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return Check(document.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException
                                       or CryptographicException or ArgumentException)
        {
            return Invalid($"not a readable proof bundle: {ex.Message}");
        }
    }

    public static ProofVerdict Check(JsonElement bundle)
    {
        if (bundle.GetProperty("format").GetString() != Format) return Invalid($"not a {Format} file");
        var customer = bundle.GetProperty("customer").GetString();

        var export = bundle.GetProperty("checkpoint");
        var checkpoint = export.GetProperty("checkpoint");
        var sequence = checkpoint.GetProperty("sequence").GetInt64();
        var head = checkpoint.GetProperty("head").GetString()!;
        var signedText = export.GetProperty("signed_text").GetString()!;
        using var key = ECDsa.Create();
        key.ImportFromPem(export.GetProperty("public_key").GetString()!);
        var signature = Convert.FromBase64String(checkpoint.GetProperty("signature").GetString()!);
        if (!key.VerifyData(Encoding.UTF8.GetBytes(signedText), signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
            return Invalid("the checkpoint signature does not verify with the bundle's public key over its signed text");
        var keyId = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
        var lines = signedText.Split('\n');
        if (lines[0] != "ledger-audit-checkpoint-v1" || !lines.Contains($"sequence: {sequence}") || !lines.Contains($"head: {head}") ||
            !lines.Contains($"key_id: {keyId}"))
            return Invalid($"the signed text does not name sequence {sequence}, head {head} and key id {keyId}");

        var start = bundle.GetProperty("start");
        var startSequence = start.GetProperty("sequence").GetInt64();
        var hash = Convert.FromHexString(start.GetProperty("hash").GetString()!);
        if (hash.Length != ChainHash.Size) return Invalid("start.hash is not 32 bytes");

        var leaves = new Dictionary<long, byte[]>();
        var previousSequence = startSequence;
        foreach (var pair in bundle.GetProperty("leaves").EnumerateArray())
        {
            var seq = pair[0].GetInt64();
            var leaf = Convert.FromHexString(pair[1].GetString()!);
            if (seq <= previousSequence) return Invalid($"leaf {seq} is out of order (after {previousSequence})", seq);
            if (leaf.Length != ChainHash.Size) return Invalid($"leaf {seq} is not 32 bytes", seq);
            leaves[seq] = leaf;
            hash = ChainHash.Link(hash, leaf);
            previousSequence = seq;
        }
        if (previousSequence != sequence)
            return Invalid($"the leaves end at sequence {previousSequence}, not at the checkpoint's sequence {sequence}");
        if (ChainHash.Hex(hash) != head)
            return Invalid($"chaining the leaves from start (sequence {startSequence}) gives {ChainHash.Hex(hash)}, not the signed head {head}");

        var events = 0;
        var usage = new Dictionary<long, JsonElement>();
        foreach (var e in bundle.GetProperty("events").EnumerateArray())
        {
            var row = new ChainRow(e.GetProperty("seq").GetInt64(), e.GetProperty("id").GetGuid(), Text(e, "stream_id"),
                e.GetProperty("version").GetInt64(), e.GetProperty("type").GetString()!, e.GetProperty("timestamp_micros").GetInt64(),
                Text(e, "tenant_id"), e.GetProperty("data").GetString()!, Text(e, "headers"));
            if (!leaves.TryGetValue(row.Seq, out var listed))
                return Invalid($"event at sequence {row.Seq} has no leaf in the bundle: it is not between start and the checkpoint", row.Seq);
            if (!ChainHash.Leaf(row).AsSpan().SequenceEqual(listed))
                return Invalid($"event at sequence {row.Seq}: its recomputed leaf differs from the chained leaf (its content was altered)", row.Seq);
            using var data = JsonDocument.Parse(row.Data);
            if (!data.RootElement.TryGetProperty("customerId", out var owner) || owner.GetString() != customer)
                return Invalid($"event at sequence {row.Seq} is not customer {customer}'s", row.Seq);
            usage[row.Seq] = data.RootElement.Clone();
            events++;
        }
        var invoiceNote = "";
        if (bundle.TryGetProperty("invoice", out var invoice))
        {
            if (CheckInvoice(invoice, bundle.GetProperty("first_billed"), usage) is { } problem) return problem;
            invoiceNote = $" Invoice {invoice.GetProperty("number").GetString()}: each usage line's quantity is the sum of the events it billed.";
        }
        return new ProofVerdict(true,
            $"valid: {events} event(s) of customer {customer} are in the ledger's chain up to sequence {sequence}, " +
            $"whose head {head} is signed by key {keyId} (checkpoint {checkpoint.GetProperty("id").GetInt64()}, " +
            $"created {checkpoint.GetProperty("created_at").GetString()}); compare the key id with the one the operator gave you." + invoiceNote);
    }

    /// <summary>
    /// Every event the invoice billed for the first time is in the bundle, and each usage line's quantity is the sum of that meter over
    /// those of them with the line's model and mode: the invoice's quantities come from the signed events and nothing else.
    /// </summary>
    private static ProofVerdict? CheckInvoice(JsonElement invoice, JsonElement firstBilled, Dictionary<long, JsonElement> usage)
    {
        var billed = new List<JsonElement>();
        foreach (var seq in firstBilled.EnumerateArray().Select(s => s.GetInt64()))
        {
            if (!usage.TryGetValue(seq, out var e)) return Invalid($"the invoice billed the event at sequence {seq}, which the bundle does not hold", seq);
            billed.Add(e);
        }
        foreach (var line in invoice.GetProperty("lines").EnumerateArray().Where(l => l.GetProperty("kind").GetString() == "usage"))
        {
            var (model, mode, meter) = (Text(line, "model"), Text(line, "mode"), line.GetProperty("meter").GetString()!);
            var quantity = decimal.Parse(line.GetProperty("quantity").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            var sum = billed.Where(e => Dimension(e, "model") == model && Dimension(e, "mode") == mode)
                .Sum(e => e.GetProperty("meters").TryGetProperty(meter, out var value) ? value.GetDecimal() : 0m);
            if (sum != quantity)
                return Invalid($"invoice line \"{line.GetProperty("description").GetString()}\" bills {quantity} {meter}, but the events it billed hold {sum}");
        }
        return null;
    }

    private static string? Dimension(JsonElement usage, string name) =>
        usage.GetProperty("dimensions").TryGetProperty(name, out var value) ? value.GetString() : null;

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.GetString() : null;

    private static ProofVerdict Invalid(string message, long? sequence = null) => new(false, "INVALID: " + message, sequence);
}
