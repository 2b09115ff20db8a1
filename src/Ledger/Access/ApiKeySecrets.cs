using System.Security.Cryptography;
using System.Text;

namespace Ledger.Access;

/// <summary>
/// Key format <c>ldg_{keyId}_{secret}</c>: a 64-bit public id (for look-up and listing) and a 256-bit
/// random secret, stored only as SHA-256(salt ‖ secret) with a 128-bit random salt per key.
/// </summary>
public static class ApiKeySecrets
{
    private const string Prefix = "ldg_";

    public static (string KeyId, string Secret, string Key) Generate()
    {
        var keyId = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (keyId, secret, Format(keyId, secret));
    }

    public static string Format(string keyId, string secret) => $"{Prefix}{keyId}_{secret}";

    /// <summary>The public part shown in listings and logs.</summary>
    public static string DisplayPrefix(string keyId) => $"{Prefix}{keyId}";

    public static bool TryParse(string key, out string keyId, out string secret)
    {
        keyId = secret = "";
        if (!key.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var separator = key.IndexOf('_', Prefix.Length);
        if (separator != Prefix.Length + 16 || key.Length - separator - 1 < 22) return false;
        keyId = key[Prefix.Length..separator];
        secret = key[(separator + 1)..];
        return keyId.All(char.IsAsciiHexDigitLower);
    }

    public static string NewSalt() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    public static string Hash(string salt, string secret)
    {
        var bytes = Encoding.UTF8.GetBytes(salt + ":" + secret);
        return Convert.ToBase64String(SHA256.HashData(bytes));
    }

    public static bool Verify(string salt, string secret, string expectedHash) =>
        CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Hash(salt, secret)), Encoding.ASCII.GetBytes(expectedHash));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
