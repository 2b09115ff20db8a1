using System.Security.Cryptography;
using Ledger.Hosting;

namespace Ledger.Audit;

/// <summary>
/// The ECDSA P-256 key that signs checkpoints. <c>Ledger:Audit:SigningKeyPath</c> names a PEM private key
/// the operator keeps (and backs up); without it, one is generated at first start into the git-ignored
/// <c>.ledger/audit-signing-key.pem</c>, like the first admin key, and the log says so.
/// </summary>
/// <remarks>
/// ECDSA because .NET's crypto APIs have no Ed25519. The key id is the first 16 hex digits of the
/// SHA-256 of the public key (SubjectPublicKeyInfo DER), so a third party computes it from the PEM.
/// </remarks>
public sealed class AuditSigningKey : IDisposable
{
    private readonly ECDsa _key;

    public string KeyId { get; }
    public string PublicKeyPem { get; }

    public AuditSigningKey(IConfiguration configuration, ILogger<AuditSigningKey> logger)
    {
        var configured = configuration["Ledger:Audit:SigningKeyPath"];
        _key = ECDsa.Create();
        if (!string.IsNullOrEmpty(configured))
        {
            if (!File.Exists(configured))
                throw new InvalidOperationException(
                    $"Ledger:Audit:SigningKeyPath names {configured}, which does not exist. Create an ECDSA P-256 key " +
                    "(openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt) or leave the setting unset.");
            _key.ImportFromPem(File.ReadAllText(configured));
        }
        else LoadOrCreate(Path.Combine(LedgerApp.RepoRoot(), ".ledger", "audit-signing-key.pem"), logger);
        if (_key.KeySize != 256) throw new InvalidOperationException("The audit signing key must be ECDSA P-256.");
        PublicKeyPem = _key.ExportSubjectPublicKeyInfoPem();
        KeyId = IdOf(_key.ExportSubjectPublicKeyInfo());
        // After a key rotation, checkpoints signed with the earlier keys stay verifiable: list their public keys (PEM files).
        var previous = configuration.GetSection("Ledger:Audit:PreviousPublicKeys").Get<string[]>() ?? [];
        foreach (var path in previous.Where(p => !File.Exists(p)))
            throw new InvalidOperationException($"Ledger:Audit:PreviousPublicKeys names {path}, which does not exist: give the PEM public key of an earlier audit signing key.");
        TrustedPublicKeys = [PublicKeyPem, .. previous.Select(File.ReadAllText)];
    }

    /// <summary>The public keys (PEM) whose checkpoints verify: this key, then the earlier ones it replaced.</summary>
    public IReadOnlyList<string> TrustedPublicKeys { get; }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Checkpoint, bool> _trusted = new();

    /// <summary>
    /// Whether a trusted key signed <paramref name="checkpoint"/>, remembered per checkpoint as read (every field, signature included,
    /// so a row altered in the database is checked afresh): each trace page shows the latest checkpoint, and checking a signature costs
    /// about a millisecond.
    /// </summary>
    public bool Trusts(Checkpoint checkpoint)
    {
        if (_trusted.TryGetValue(checkpoint, out var known)) return known;
        if (_trusted.Count > 1000) _trusted.Clear();
        return _trusted[checkpoint] = TrustedPublicKeys.Any(checkpoint.SignatureValid);
    }

    private void LoadOrCreate(string file, ILogger logger)
    {
        if (File.Exists(file))
        {
            _key.ImportFromPem(File.ReadAllText(file));
            return;
        }
        _key.GenerateKey(ECCurve.NamedCurves.nistP256);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        try
        {
            // CreateNew: two ledgers starting together keep one key, the first one written.
            using (var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write))
            using (var writer = new StreamWriter(stream)) writer.Write(_key.ExportPkcs8PrivateKeyPem());
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            logger.LogWarning("No Ledger:Audit:SigningKeyPath configured: generated an audit signing key in {File}. " +
                "Keep and back it up (checkpoints signed with it are checked against it), or configure a key of your own.", file);
        }
        catch (IOException) when (File.Exists(file))
        {
            Thread.Sleep(100);
            _key.ImportFromPem(File.ReadAllText(file));
        }
    }

    public static string IdOf(byte[] subjectPublicKeyInfo) => Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo))[..16];

    /// <summary>DER-encoded (RFC 3279) so that <c>openssl dgst -sha256 -verify</c> checks it as it is.</summary>
    public byte[] Sign(byte[] data) => _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    public static bool Verify(string publicKeyPem, byte[] data, byte[] signature)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(publicKeyPem);
        return key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }

    public void Dispose() => _key.Dispose();
}
