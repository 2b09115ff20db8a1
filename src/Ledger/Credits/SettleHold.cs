using Ledger.Access;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Wolverine.Http;

namespace Ledger.Credits;

/// <summary>The usage event the held call produced: its CloudEvents source and id.</summary>
public sealed record SettleHoldRequest(string? Source, string? Id);

public static class SettleHold
{
    [WolverinePost("/v1/holds/{holdId}/settle")]
    [Requires(Scopes.Ingest, Scopes.BillingWrite)]
    [Tags("Credits"), EndpointSummary("Name the usage event a hold was for")]
    [EndpointDescription("{source, id}: the usage event's CloudEvents source and id (sent before or after this call). The hold keeps its amount " +
        "reserved until that usage is rated, then the usage draws the credit down instead; if it is not rated by the hold's expires_at, the hold expires. Settling again with " +
        "the same usage answers the hold; other usage, or a released or expired hold, is a 409.")]
    [ProducesResponseType<HoldView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public static async Task<IResult> Post(string holdId, SettleHoldRequest request, HttpContext http, IDocumentSession session, IClock clock, CancellationToken ct)
    {
        holdId = RouteValue.Decode(holdId);
        if (string.IsNullOrEmpty(request.Source))
            return Problems.BadRequest("Missing source", "source is the CloudEvents source of the usage event the hold was for.", "source");
        if (string.IsNullOrEmpty(request.Id))
            return Problems.BadRequest("Missing id", "id is the CloudEvents id of the usage event the hold was for.", "id");
        var stream = await session.Events.FetchForWriting<Hold>(HoldPlaced.StreamKey(holdId), ct);
        if (stream.Aggregate is not { } hold || !Caller.Of(http).MayTouch(hold.CustomerId)) return Problems.NotFound($"No hold \"{holdId}\".");
        if (hold.Status == "settled" && hold.UsageSource == request.Source && hold.UsageId == request.Id) return Results.Json(HoldView.Of(hold));
        if (hold.Status != "held")
            return Problems.Conflict("Hold not open", $"Hold \"{holdId}\" is {hold.Status}{(hold.Status == "settled" ? $" with usage {hold.UsageSource} {hold.UsageId}" : "")}; " +
                "only an open hold can be settled. Usage without an open hold simply draws the credit down when it is rated.");
        var settled = new HoldSettled(holdId, hold.CustomerId, request.Source, request.Id, clock.GetCurrentInstant());
        stream.AppendOne(settled);
        if (await StreamWrites.SaveOrConflictAsync(session, "Hold changed concurrently",
                $"Hold \"{holdId}\" was released, expired or settled at the same moment; read it with GET /v1/holds/{holdId}.", ct) is { } conflict)
        {
            session.EjectAllPendingChanges();
            return conflict;
        }
        hold.Apply(settled);
        return Results.Json(HoldView.Of(hold));
    }
}
