using Ledger.Access;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Credits;

public static class GetHold
{
    [WolverineGet("/v1/holds/{holdId}")]
    [Requires(Scopes.Ingest, Scopes.BillingWrite, Scopes.FinanceRead, Scopes.AuditRead, CustomerOwned = true)]
    [Tags("Credits"), EndpointSummary("A hold: held, settled (its usage named), released or expired")]
    [ProducesResponseType<HoldView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(string holdId, HttpContext http, IQuerySession session, CancellationToken ct)
    {
        holdId = RouteValue.Decode(holdId);
        var hold = await session.Events.AggregateStreamAsync<Hold>(HoldPlaced.StreamKey(holdId), token: ct);
        // Another customer's hold is answered as missing to a customer's key: its existence is not theirs to know.
        return hold is null || !Caller.Of(http).MayTouch(hold.CustomerId) ? Problems.NotFound($"No hold \"{holdId}\".") : Results.Json(HoldView.Of(hold));
    }
}
