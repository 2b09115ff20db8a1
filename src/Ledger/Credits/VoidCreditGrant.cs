using Ledger.Access;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Wolverine.Http;

namespace Ledger.Credits;

/// <summary>Why the grant is withdrawn (a refund, a mistaken grant); kept with the event for the audit trail.</summary>
public sealed record VoidCreditGrantRequest(string? Reason);

public static class VoidCreditGrant
{
    public const int MaxReason = 500;

    [WolverinePost("/v1/customers/{customerId}/credits/{grantId}/void")]
    [Requires(Scopes.BillingWrite)]
    [Tags("Credits"), EndpointSummary("Withdraw the unused remainder of a grant")]
    [EndpointDescription("reason (optional, up to 500 characters). What the grant already paid for stays paid; whatever is unused at the " +
        "ledger position of the void is withdrawn. A grant is voided once: voiding a voided or expired grant is a 409 and records nothing.")]
    [ProducesResponseType<CreditGrantView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public static async Task<IResult> Post(string customerId, string grantId, VoidCreditGrantRequest? request, HttpContext http,
        IDocumentStore store, IClock clock, CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        grantId = RouteValue.Decode(grantId);
        var reason = request?.Reason;
        if (reason is { Length: > MaxReason })
            return Problems.BadRequest("Invalid reason", $"reason can have at most {MaxReason} characters.", "reason");

        await using var session = store.LightweightSession();
        // FetchForWriting: a void racing another void (or the scheduled expiry) is refused, never recorded twice.
        var stream = await session.Events.FetchForWriting<CreditGrant>(CreditGranted.StreamKey(customerId, grantId), ct);
        if (stream.Aggregate is not { } grant)
            return Problems.NotFound($"Customer \"{customerId}\" has no grant \"{grantId}\". GET /v1/customers/{{id}}/credits lists its grants.");
        if (grant.Status != CreditGrantStatus.Active)
            return Problems.Conflict($"Grant already {CreditGrantView.Lower(grant.Status)}",
                $"Grant \"{grantId}\" was {CreditGrantView.Lower(grant.Status)} at {grant.VoidedAt ?? grant.ExpiredAt}; it has nothing left to void, and nothing was recorded.");

        var voided = new CreditGrantVoided(customerId, grantId, reason, clock.GetCurrentInstant(), Caller.Of(http).KeyId);
        stream.AppendOne(voided);
        if (await StreamWrites.SaveOrConflictAsync(session, "Changed concurrently",
                $"Grant \"{grantId}\" was voided or expired at the same moment, so this void recorded nothing. GET the customer's credits to see its status.", ct) is { } conflict)
            return conflict;
        grant.Apply(voided); // idempotent on the fetched copy, whether or not Marten applied it already
        return Results.Json(CreditGrantView.Of(grant));
    }
}
