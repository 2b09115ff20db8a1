using Ledger.Access;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Wolverine;
using Wolverine.Http;

namespace Ledger.Webhooks;

public static class RetryDelivery
{
    [WolverinePost("/v1/webhooks/deliveries/{id}/retry")]
    [Requires(Scopes.BillingWrite)]
    [Tags("Webhooks"), EndpointSummary("Send a failed delivery again, now")]
    [EndpointDescription("One more attempt, made at once with the endpoint's current URL and secret; if it fails, the delivery " +
        "stays failed (no new schedule). Only failed deliveries of endpoints that still exist can be retried.")]
    [ProducesResponseType<DeliveryView>(StatusCodes.Status202Accepted)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public static async Task<IResult> Post(string id, IDocumentSession session, IMessageBus bus, IClock clock, CancellationToken ct)
    {
        var delivery = await session.LoadAsync<WebhookDeliveryRecord>(id, ct);
        if (delivery is null) return Problems.NotFound($"No webhook delivery \"{id}\".");
        if (delivery.Status != DeliveryStatus.Failed)
            return Problems.Conflict("Not a failed delivery",
                $"Delivery \"{id}\" is {delivery.Status.ToString().ToLowerInvariant()}; only failed deliveries can be retried.");
        var endpoint = await session.LoadAsync<WebhookEndpoint>(WebhookEndpoint.StreamKey(delivery.EndpointId), ct);
        if (endpoint is null || endpoint.RemovedAt is not null)
            return Problems.Conflict("Endpoint removed",
                $"Endpoint \"{delivery.EndpointId}\" was removed; create it again with PUT /v1/webhooks/{delivery.EndpointId} to retry.");

        delivery.Status = DeliveryStatus.Pending;
        delivery.StoppedReason = null;
        delivery.NextAttemptAt = clock.GetCurrentInstant();
        session.Store(delivery);
        // Committed with the document by Wolverine's transactional middleware (outbox): both or neither.
        await bus.PublishAsync(new WebhookDelivery(id, delivery.Attempts.Count + 1, Manual: true));
        return Results.Json(DeliveryView.Of(delivery), statusCode: StatusCodes.Status202Accepted);
    }
}
