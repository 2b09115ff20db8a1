using Ledger.Access;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Wolverine.Http;

namespace Ledger.Webhooks;

public static class RemoveWebhook
{
    [WolverineDelete("/v1/webhooks/{id}")]
    [Requires(Scopes.BillingWrite)]
    [Tags("Webhooks"), EndpointSummary("Remove a webhook endpoint (its pending deliveries stop)")]
    [EndpointDescription("Nothing new is sent to it, and its deliveries still waiting for a retry end as failed. " +
        "Removing twice is harmless; PUT creates it again (with a new secret unless one is given).")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Delete(string id, HttpContext http, IDocumentStore store, IClock clock, CancellationToken ct)
    {
        id = RouteValue.Decode(id);
        await using var session = store.LightweightSession();
        var endpoint = await session.LoadAsync<WebhookEndpoint>(WebhookEndpoint.StreamKey(id), ct);
        if (endpoint is null) return Problems.NotFound($"No webhook endpoint \"{id}\".");
        if (endpoint.RemovedAt is not null) return Results.NoContent();

        session.Events.Append(WebhookEndpoint.StreamKey(id), new WebhookEndpointRemoved(id, clock.GetCurrentInstant(), Caller.Of(http).KeyId));
        // Stopped here so the delivery API says so at once; a send already under way is stopped by the
        // handler, which checks the endpoint before every attempt.
        var pending = await session.Query<WebhookDeliveryRecord>()
            .Where(d => d.EndpointId == id && d.Status == DeliveryStatus.Pending).ToListAsync(ct);
        foreach (var delivery in pending)
        {
            delivery.Stop("The endpoint was removed before the notice was delivered.");
            session.Store(delivery);
        }
        await session.SaveChangesAsync(ct);
        return Results.NoContent();
    }
}
