using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Wolverine.Http;

namespace Ledger.Access;

/// <summary>A key as listed: never its secret or hash.</summary>
public sealed record ApiKeySummary(string Id, string Prefix, string Name, IReadOnlyList<string> Scopes, string? CustomerId,
    IReadOnlyList<string>? Sources, RateLimit? RateLimit, Instant CreatedAt, Instant? LastUsedAt, Instant? RevokedAt);

/// <summary>When a key was last used, written back from the nodes' memory every few seconds.</summary>
public sealed class ApiKeyUsage
{
    public string Id { get; set; } = "";
    public Instant LastUsedAt { get; set; }
}

public static class ListApiKeys
{
    [WolverineGet("/v1/api-keys")]
    [Requires(Scopes.Admin)]
    [Tags("API keys"), EndpointSummary("List API keys (prefix, scopes, created, last used, revoked)")]
    [EndpointDescription("Prefix, name, scopes, customer, sources, limits, created, last used and revoked times; never secrets or hashes.")]
    [ProducesResponseType<IReadOnlyList<ApiKeySummary>>(StatusCodes.Status200OK)]
    public static async Task<IResult> Get(IQuerySession session, ApiKeyRing ring, CancellationToken ct)
    {
        var keys = await session.Query<ApiKey>().OrderBy(k => k.IssuedAt).ToListAsync(ct);
        var usage = (await session.Query<ApiKeyUsage>().ToListAsync(ct)).ToDictionary(u => u.Id, u => u.LastUsedAt);
        return Results.Json(keys.Select(k => new ApiKeySummary(k.KeyId, ApiKeySecrets.DisplayPrefix(k.KeyId), k.Name, k.Scopes,
            k.CustomerId, k.Sources, k.RateLimit, k.IssuedAt, Latest(ring.LastUsed(k.KeyId), usage.GetValueOrDefault(k.KeyId)), k.RevokedAt)));
    }

    private static Instant? Latest(Instant? here, Instant stored) =>
        here is null ? (stored == default ? null : stored) : Instant.Max(here.Value, stored);
}

/// <summary>Writes last-used times back every few seconds, so authentication itself never writes.</summary>
public sealed class ApiKeyUsageWriter(IDocumentStore store, ApiKeyRing ring, ILogger<ApiKeyUsageWriter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var written = new Dictionary<string, Instant>();
        using var timer = new PeriodicTimer(ApiKeyRing.RefreshInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var changed = ring.LastUsedSnapshot().Where(p => written.GetValueOrDefault(p.Key) != p.Value).ToList();
                if (changed.Count > 0)
                {
                    await using var session = store.LightweightSession();
                    foreach (var (keyId, at) in changed) session.Store(new ApiKeyUsage { Id = keyId, LastUsedAt = at });
                    await session.SaveChangesAsync(stoppingToken);
                    foreach (var (keyId, at) in changed) written[keyId] = at;
                }
                await ring.ReloadAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Could not refresh API keys; will retry");
            }
        }
    }
}
