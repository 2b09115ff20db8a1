using Ledger.Access;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Credits;

public static class ReleaseHold
{
    [WolverinePost("/v1/holds/{holdId}/release")]
    [Requires(Scopes.Ingest, Scopes.BillingWrite)]
    [Tags("Credits"), EndpointSummary("End a hold without usage (the call was not made)")]
    [EndpointDescription("Frees the held amount at once (also a settled hold whose usage will not come). A hold that already ended is answered as it is.")]
    [ProducesResponseType<HoldView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public static async Task<IResult> Post(string holdId, HttpContext http, IDocumentSession session, SpendView view, NpgsqlDataSource db, IClock clock, CancellationToken ct)
    {
        holdId = RouteValue.Decode(holdId);
        var stream = await session.Events.FetchForWriting<Hold>(HoldPlaced.StreamKey(holdId), ct);
        if (stream.Aggregate is not { } hold || !Caller.Of(http).MayTouch(hold.CustomerId)) return Problems.NotFound($"No hold \"{holdId}\".");
        if (hold.Status is "released" or "expired") return Results.Json(HoldView.Of(hold));
        var ended = new HoldEnded(holdId, hold.CustomerId, HoldEnd.Released, clock.GetCurrentInstant());
        stream.AppendOne(ended);
        if (await HoldWrites.SaveAsync(session, stream, holdId, hold.CustomerId, -hold.Amount.Amount, view, db, ct) is { } conflict) return conflict;
        hold.Apply(ended);
        return Results.Json(HoldView.Of(hold));
    }
}
