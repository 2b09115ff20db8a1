using Ledger.Access;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Webhooks;

public static class GetWebhooks
{
    [WolverineGet("/v1/webhooks")]
    [Requires(Scopes.BillingWrite)]
    [Tags("Webhooks"), EndpointSummary("List webhook endpoints (never their secrets)")]
    [ProducesResponseType<IReadOnlyList<WebhookView>>(StatusCodes.Status200OK)]
    public static async Task<IResult> List(IQuerySession session, CancellationToken ct)
    {
        var endpoints = await session.Query<WebhookEndpoint>().ToListAsync(ct);
        return Results.Json(endpoints.Where(e => e.RemovedAt is null).OrderBy(e => e.EndpointId, StringComparer.Ordinal)
            .Select(e => WebhookView.Of(e)));
    }

    [WolverineGet("/v1/webhooks/{id}")]
    [Requires(Scopes.BillingWrite)]
    [Tags("Webhooks"), EndpointSummary("A webhook endpoint (never its secret)")]
    [ProducesResponseType<WebhookView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(string id, IQuerySession session, CancellationToken ct)
    {
        id = RouteValue.Decode(id);
        var endpoint = await session.LoadAsync<WebhookEndpoint>(WebhookEndpoint.StreamKey(id), ct);
        return endpoint is null || endpoint.RemovedAt is not null
            ? Problems.NotFound($"No webhook endpoint \"{id}\". Create it with PUT /v1/webhooks/{{id}}.")
            : Results.Json(WebhookView.Of(endpoint));
    }
}
