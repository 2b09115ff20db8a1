using System.Text;
using NodaTime;
using NodaTime.Text;

namespace Ledger.Audit;

/// <summary>A signed statement of the chain head: "up to this sequence, the log hashes to this".</summary>
/// <remarks>
/// The signature covers <see cref="SignedText"/>, not JSON, so a third party checks it byte for byte
/// without a JSON canonicalisation rule (docs/audit.md).
/// </remarks>
public sealed record Checkpoint(long Id, long Sequence, string Head, long EventsChained, Instant CreatedAt, string KeyId, string Signature)
{
    public const string Format = "ledger-audit-checkpoint-v1";
    public const string Algorithm = "ECDSA P-256 SHA-256, DER signature (RFC 3279), base64";

    /// <summary>The exact text whose UTF-8 bytes are signed: one "name: value" per line, each line ending with \n.</summary>
    public string SignedText => SignedTextOf(Sequence, Head, EventsChained, CreatedAt, KeyId);

    public static string SignedTextOf(long sequence, string head, long eventsChained, Instant createdAt, string keyId) =>
        $"{Format}\nsequence: {sequence}\nhead: {head}\nevents_chained: {eventsChained}\n" +
        $"created_at: {InstantPattern.ExtendedIso.Format(createdAt)}\nkey_id: {keyId}\n";

    public bool SignatureValid(string publicKeyPem) =>
        AuditSigningKey.IdOf(PublicKeyDer(publicKeyPem)) == KeyId &&
        AuditSigningKey.Verify(publicKeyPem, Encoding.UTF8.GetBytes(SignedText), Convert.FromBase64String(Signature));

    private static byte[] PublicKeyDer(string pem)
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        key.ImportFromPem(pem);
        return key.ExportSubjectPublicKeyInfo();
    }
}

/// <summary>A checkpoint as exported for a third party: everything needed to check it offline.</summary>
public sealed record CheckpointExport(Checkpoint Checkpoint, string SignedText, string Algorithm, string PublicKey);
