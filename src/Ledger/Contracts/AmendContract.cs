using System.Text.Json;
using Ledger.Access;
using Ledger.Customers;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Wolverine.Http;

namespace Ledger.Contracts;

public sealed record AmendContractRequest(string? EffectiveAt, JsonElement Fee, JsonElement Included, JsonElement Overage, JsonElement MinimumCommitment, string? Reason);

public static class AmendContract
{
    [WolverinePost("/v1/contracts/{contractId}/amendments")]
    [Requires(Scopes.BillingWrite)]
    [Tags("Contracts"), EndpointSummary("Change a contract's terms from an instant on (upgrade, renewal, new allowance or rates)")]
    [EndpointDescription("effective_at (RFC 3339, at or after the contract's start, before its end) and the parts that change: fee, included, overage, " +
        "minimum_commitment (as when starting; a part sent as null is removed, a part left out keeps the terms in force at effective_at), reason. " +
        "Usage before effective_at is billed under the old terms, after it under the new; a period it falls in is split into segments.")]
    [ProducesResponseType<ContractView>(StatusCodes.Status201Created)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public static async Task<IResult> Post(string contractId, AmendContractRequest request, HttpContext http, IDocumentStore store, IClock clock, CancellationToken ct)
    {
        contractId = RouteValue.Decode(contractId);
        if (!RequestValues.TryInstant(request.EffectiveAt, out var effectiveAt))
            return Problems.BadRequest("Invalid effective_at", "effective_at must be an RFC 3339 instant, e.g. 2026-12-15T00:00:00Z.", "effective_at");
        await using var session = store.LightweightSession();
        var (target, missing) = await ContractWrites.FetchAsync(session, contractId, ct);
        if (missing is not null) return missing;
        var (_, customer, contract) = target!;
        if (effectiveAt < contract.StartsAt)
            return Problems.BadRequest("Amendment before the contract", $"effective_at must be at or after the contract's start, {contract.StartsAt}.", "effective_at");
        if (contract.EndsAt is { } end && effectiveAt >= end)
            return Problems.Conflict("Contract ended", $"Contract \"{contractId}\" ends at {end}; an amendment must take effect before that.");
        var (terms, problem) = new ContractTermsReader(customer.Currency)
            .Read(contract.VersionAt(effectiveAt).Terms, request.Fee, request.Included, request.Overage, request.MinimumCommitment);
        if (problem is not null) return problem;
        if (terms!.Overage is { Rates.Count: > 0 } overage &&
            PutOverrides.UnknownRates(overage.Rates.ToDictionary(r => r.Key, r => r.Value),
                customer.PriceBook is null ? null : await session.LoadAsync<Pricing.PriceBook>(Pricing.PriceBook.StreamKey(customer.PriceBook), ct)) is { } unknown)
            return Problems.BadRequest("Unknown rate", unknown.Problem, "overage." + unknown.Field);

        var now = clock.GetCurrentInstant();
        target.Stream.AppendOne(new ContractAmended(contractId, customer.CustomerId, contract.Versions.Count, effectiveAt, terms, request.Reason, now, Caller.Of(http).KeyId));
        return await ContractWrites.SaveAsync(session, target, now, StatusCodes.Status201Created, ct);
    }
}
