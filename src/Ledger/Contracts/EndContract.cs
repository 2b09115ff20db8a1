using Ledger.Access;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Wolverine.Http;

namespace Ledger.Contracts;

public sealed record EndContractRequest(string? EndsAt, string? Reason);

public static class EndContract
{
    [WolverinePost("/v1/contracts/{contractId}/end")]
    [Requires(Scopes.BillingWrite)]
    [Tags("Contracts"), EndpointSummary("End a contract")]
    [EndpointDescription("ends_at (RFC 3339, default now; at or after the start), reason. Usage from ends_at on is outside the contract; " +
        "the period it falls in ends there. A contract ends once: a second end is a 409.")]
    [ProducesResponseType<ContractView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public static async Task<IResult> Post(string contractId, EndContractRequest request, HttpContext http, IDocumentStore store, IClock clock, CancellationToken ct)
    {
        contractId = RouteValue.Decode(contractId);
        var now = clock.GetCurrentInstant();
        var endsAt = now;
        if (request.EndsAt is not null && !RequestValues.TryInstant(request.EndsAt, out endsAt))
            return Problems.BadRequest("Invalid ends_at", "ends_at must be an RFC 3339 instant, e.g. 2027-01-01T00:00:00Z (or left out: now).", "ends_at");
        await using var session = store.LightweightSession();
        var (target, missing) = await ContractWrites.FetchAsync(session, contractId, ct);
        if (missing is not null) return missing;
        var contract = target!.Contract;
        if (contract.EndsAt is { } ended)
            return Problems.Conflict("Contract already ended", $"Contract \"{contractId}\" ended at {ended}. Start a new contract for further terms.");
        if (endsAt < contract.StartsAt)
            return Problems.BadRequest("End before start", $"ends_at must be at or after the contract's start, {contract.StartsAt}.", "ends_at");
        target.Stream.AppendOne(new ContractEnded(contractId, target.Customer.CustomerId, endsAt, request.Reason, now, Caller.Of(http).KeyId));
        return await ContractWrites.SaveAsync(session, target, now, StatusCodes.Status200OK, ct);
    }
}
