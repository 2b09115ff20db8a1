using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Wolverine.Http;

namespace Ledger.Access;

public static class RevokeApiKey
{
    [WolverineDelete("/v1/api-keys/{id}")]
    [Requires(Scopes.Admin)]
    [Tags("API keys"), EndpointSummary("Revoke an API key (refused from then on)")]
    [EndpointDescription("The key is refused at once on this node and within 5 seconds on every other node. Revoking twice is harmless.")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Delete(string id, HttpContext http, IDocumentStore store, ApiKeyRing ring, IClock clock)
    {
        await using var session = store.LightweightSession();
        var key = await session.LoadAsync<ApiKey>(ApiKey.StreamKey(id));
        if (key is null) return Problems.NotFound($"No API key with id \"{id}\".");
        if (key.RevokedAt is null)
        {
            var revoked = new ApiKeyRevoked(id, clock.GetCurrentInstant(), Caller.Of(http).KeyId);
            session.Events.Append(ApiKey.StreamKey(id), revoked);
            await session.SaveChangesAsync();
            key.Apply(revoked);
            ring.Put(key);
        }
        return Results.NoContent();
    }
}
