using System.Globalization;
using Ledger.Access;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Webhooks;

public static class GetDeliveries
{
    public const int DefaultLimit = 50, MaxLimit = 500;

    [WolverineGet("/v1/webhooks/deliveries")]
    [Requires(Scopes.BillingWrite, Scopes.AuditRead)]
    [Tags("Webhooks"), EndpointSummary("Webhook deliveries, newest first, with every attempt")]
    [EndpointDescription("Filters: customer, endpoint, status (pending, delivered, failed); limit 1-500 (default 50).")]
    [ProducesResponseType<IReadOnlyList<DeliveryView>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> List(string? customer, string? endpoint, string? status, string? limit,
        IQuerySession session, CancellationToken ct)
    {
        DeliveryStatus? wanted = null;
        if (status is not null)
        {
            if (!Enum.TryParse<DeliveryStatus>(status, ignoreCase: true, out var parsed) || !status.All(char.IsAsciiLetter))
                return Problems.BadRequest("Invalid status", $"status must be pending, delivered or failed, not \"{status}\".", "status");
            wanted = parsed;
        }
        // Read as text: Wolverine would bind an unparseable number as "no limit given" without saying so.
        var take = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out take) || take is < 1 or > MaxLimit))
            return Problems.BadRequest("Invalid limit", $"limit must be a whole number from 1 to {MaxLimit}, not \"{limit}\".", "limit");

        IQueryable<WebhookDeliveryRecord> query = session.Query<WebhookDeliveryRecord>();
        if (customer is not null) query = query.Where(d => d.CustomerId == customer);
        if (endpoint is not null) query = query.Where(d => d.EndpointId == endpoint);
        if (wanted is { } s) query = query.Where(d => d.Status == s);
        var deliveries = await query.OrderByDescending(d => d.StoredAt).Take(take).ToListAsync(ct);
        return Results.Json(deliveries.Select(DeliveryView.Of));
    }

    [WolverineGet("/v1/webhooks/deliveries/{id}")]
    [Requires(Scopes.BillingWrite, Scopes.AuditRead)]
    [Tags("Webhooks"), EndpointSummary("One webhook delivery with every attempt")]
    [ProducesResponseType<DeliveryView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(string id, IQuerySession session, CancellationToken ct)
    {
        var delivery = await session.LoadAsync<WebhookDeliveryRecord>(id, ct);
        return delivery is null ? Problems.NotFound($"No webhook delivery \"{id}\".") : Results.Json(DeliveryView.Of(delivery));
    }
}
