using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Wolverine.Http;

namespace Ledger.Access;

/// <summary>Issue a key: which scopes, for which customer (customer:read) or sources (ingest).</summary>
public sealed record IssueApiKey(string? Name, List<string>? Scopes, string? CustomerId, List<string>? Sources, RateLimit? RateLimit);

/// <summary>The one and only time the key's secret is shown.</summary>
public sealed record IssuedApiKey(string Id, string Key, string Prefix, string Name, IReadOnlyList<string> Scopes,
    string? CustomerId, IReadOnlyList<string>? Sources, RateLimit? RateLimit, Instant CreatedAt);

public static class IssueApiKeyEndpoint
{
    [WolverinePost("/v1/api-keys")]
    [Requires(Access.Scopes.Admin)]
    [Tags("API keys"), EndpointSummary("Issue an API key (the secret is shown once)")]
    [EndpointDescription("Scopes: ingest (optionally limited to CloudEvents sources), billing:write, customer:read (bound to customer_id), finance:read, audit:read, admin. The key is in this answer only; the ledger keeps a salted hash.")]
    [ProducesResponseType<IssuedApiKey>(StatusCodes.Status201Created)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> Post(IssueApiKey request, HttpContext http, IDocumentStore store, ApiKeyRing ring, IClock clock)
    {
        var problem = Validate(request);
        if (problem is not null) return problem;
        var issued = await IssueAsync(store, ring, clock, request, Caller.Of(http).KeyId);
        return Results.Json(issued, statusCode: StatusCodes.Status201Created);
    }

    public static IResult? Validate(IssueApiKey request)
    {
        var scopes = request.Scopes ?? [];
        if (scopes.Count == 0)
            return Problems.BadRequest("No scopes", $"scopes must list at least one of: {string.Join(", ", Access.Scopes.All)}.", "scopes");
        var unknown = scopes.FirstOrDefault(s => !Access.Scopes.All.Contains(s));
        if (unknown is not null)
            return Problems.BadRequest("Unknown scope", $"\"{unknown}\" is not a scope; use one of: {string.Join(", ", Access.Scopes.All)}.", "scopes");
        if (scopes.Contains(Access.Scopes.CustomerRead) && string.IsNullOrWhiteSpace(request.CustomerId))
            return Problems.BadRequest("Missing customer", "A customer:read key is bound to one customer: set customer_id.", "customer_id");
        if (!scopes.Contains(Access.Scopes.CustomerRead) && request.CustomerId is not null)
            return Problems.BadRequest("Unexpected customer", "customer_id only goes with the customer:read scope.", "customer_id");
        if (request.Sources is { Count: > 0 } && !scopes.Contains(Access.Scopes.Ingest))
            return Problems.BadRequest("Unexpected sources", "sources restrict the ingest scope; add \"ingest\" or drop sources.", "sources");
        if (request.RateLimit is { RequestsPerSecond: <= 0 } or { EventsPerSecond: <= 0 })
            return Problems.BadRequest("Invalid rate limit", "rate_limit values must be positive whole numbers.", "rate_limit");
        if (request.Name is { Length: > 100 })
            return Problems.BadRequest("Name too long", "name may be at most 100 characters.", "name");
        return null;
    }

    /// <summary>Appends <see cref="ApiKeyIssued"/> and puts the key in this node's ring at once.</summary>
    public static async Task<IssuedApiKey> IssueAsync(IDocumentStore store, ApiKeyRing ring, IClock clock,
        IssueApiKey request, string? issuedBy, (string KeyId, string Secret)? given = null)
    {
        var (keyId, secret, key) = given is { } g ? (g.KeyId, g.Secret, ApiKeySecrets.Format(g.KeyId, g.Secret)) : ApiKeySecrets.Generate();
        var salt = ApiKeySecrets.NewSalt();
        var now = clock.GetCurrentInstant();
        var issued = new ApiKeyIssued(keyId, request.Name ?? "", request.Scopes!.Distinct().ToList(), request.CustomerId,
            request.Sources is { Count: > 0 } ? request.Sources : null, request.RateLimit, ApiKeySecrets.Hash(salt, secret), salt, now, issuedBy);
        await using (var session = store.LightweightSession())
        {
            session.Events.StartStream<ApiKey>(ApiKey.StreamKey(keyId), issued);
            await session.SaveChangesAsync();
        }
        ring.Put(ApiKey.Create(issued));
        return new IssuedApiKey(keyId, key, ApiKeySecrets.DisplayPrefix(keyId), issued.Name, issued.Scopes, issued.CustomerId,
            issued.Sources, issued.RateLimit, now);
    }
}
