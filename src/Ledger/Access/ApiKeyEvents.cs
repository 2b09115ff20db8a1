using NodaTime;

namespace Ledger.Access;

/// <summary>Per-key token buckets; null means the configured default.</summary>
public sealed record RateLimit(int? RequestsPerSecond, int? EventsPerSecond);

/// <summary>
/// A key was issued. Only a salted SHA-256 of its secret is kept: the secret itself is shown once,
/// in the answer to the request that issued it, and never stored.
/// </summary>
public sealed record ApiKeyIssued(
    string KeyId,
    string Name,
    IReadOnlyList<string> Scopes,
    string? CustomerId,
    IReadOnlyList<string>? Sources,
    RateLimit? RateLimit,
    string SecretHash,
    string Salt,
    Instant IssuedAt,
    string? IssuedBy);

/// <summary>A key was revoked; it is refused from then on (on other nodes within the key-ring refresh interval).</summary>
public sealed record ApiKeyRevoked(string KeyId, Instant RevokedAt, string? RevokedBy);

/// <summary>The current state of a key, projected inline from its stream (<c>api-key/{id}</c>).</summary>
public sealed partial class ApiKey
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public List<string> Scopes { get; set; } = [];
    public string? CustomerId { get; set; }
    public List<string>? Sources { get; set; }
    public RateLimit? RateLimit { get; set; }
    public string SecretHash { get; set; } = "";
    public string Salt { get; set; } = "";
    public Instant IssuedAt { get; set; }
    public string? IssuedBy { get; set; }
    public Instant? RevokedAt { get; set; }

    public static string StreamKey(string keyId) => $"api-key/{keyId}";

    public static ApiKey Create(ApiKeyIssued e) => new()
    {
        Id = StreamKey(e.KeyId), Name = e.Name, Scopes = [.. e.Scopes], CustomerId = e.CustomerId,
        Sources = e.Sources?.ToList(), RateLimit = e.RateLimit, SecretHash = e.SecretHash, Salt = e.Salt,
        IssuedAt = e.IssuedAt, IssuedBy = e.IssuedBy
    };

    public void Apply(ApiKeyRevoked e) => RevokedAt ??= e.RevokedAt;

    public string KeyId => Id["api-key/".Length..];
}
