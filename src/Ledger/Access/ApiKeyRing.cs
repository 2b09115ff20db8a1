using System.Collections.Concurrent;
using Marten;
using NodaTime;

namespace Ledger.Access;

/// <summary>
/// The keys in memory, so authenticating a request never costs a database round trip. Loaded at
/// start, updated at once for keys issued or revoked on this node, and reloaded every few seconds
/// for changes made on other nodes. Last-used times are kept here and written back in the background.
/// </summary>
public sealed class ApiKeyRing(IDocumentStore store, IClock clock)
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    private readonly Lock _write = new();
    private volatile IReadOnlyDictionary<string, (ApiKey Key, Caller Caller)> _keys = new Dictionary<string, (ApiKey, Caller)>();
    private readonly ConcurrentDictionary<string, Instant> _lastUsed = new();

    public int Count => _keys.Count;

    public bool Contains(string keyId) => _keys.ContainsKey(keyId);

    /// <summary>
    /// Merges the database's keys into memory. Keys are only ever issued and revoked, never deleted,
    /// so a key issued or revoked here while the query ran is kept as it is here, and a revocation
    /// from either side wins.
    /// </summary>
    public async Task ReloadAsync(CancellationToken ct = default)
    {
        await using var session = store.QuerySession();
        var stored = await session.Query<ApiKey>().ToListAsync(ct);
        lock (_write)
        {
            var merged = new Dictionary<string, (ApiKey, Caller)>(_keys);
            foreach (var key in stored)
                if (!merged.TryGetValue(key.KeyId, out var here) || (here.Item1.RevokedAt is null && key.RevokedAt is not null))
                    merged[key.KeyId] = (key, Caller.For(key));
            _keys = merged;
        }
    }

    public void Put(ApiKey key)
    {
        lock (_write)
            _keys = new Dictionary<string, (ApiKey, Caller)>(_keys) { [key.KeyId] = (key, Caller.For(key)) };
    }

    /// <summary>Checks a bearer token; on failure says why, without telling which part was wrong.</summary>
    public Caller? Authenticate(string? authorization, out string? problem)
    {
        problem = null;
        if (string.IsNullOrEmpty(authorization))
        {
            problem = "This endpoint needs an API key: send the header 'Authorization: Bearer <key>'.";
            return null;
        }
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            problem = "The Authorization header must use the Bearer scheme: 'Authorization: Bearer <key>'.";
            return null;
        }
        var caller = Verify(authorization["Bearer ".Length..].Trim());
        if (caller is null)
        {
            problem = "The API key is unknown or revoked.";
            return null;
        }
        _lastUsed[caller.KeyId] = clock.GetCurrentInstant();
        return caller;
    }

    /// <summary>The caller a key stands for, if it is known, not revoked and its secret matches; records no use.</summary>
    public Caller? Verify(string key) =>
        ApiKeySecrets.TryParse(key, out var keyId, out var secret) &&
        _keys.TryGetValue(keyId, out var entry) && entry.Key.RevokedAt is null &&
        ApiKeySecrets.Verify(entry.Key.Salt, secret, entry.Key.SecretHash)
            ? entry.Caller
            : null;

    public Instant? LastUsed(string keyId) => _lastUsed.TryGetValue(keyId, out var at) ? at : null;

    public IReadOnlyDictionary<string, Instant> LastUsedSnapshot() => new Dictionary<string, Instant>(_lastUsed);
}
