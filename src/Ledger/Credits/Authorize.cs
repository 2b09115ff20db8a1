using System.Text.Json;
using Ledger.Access;
using Ledger.Hosting;
using Ledger.Kernel;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Wolverine.Http;

namespace Ledger.Credits;

/// <summary>A spend check: may this customer spend about this much now? estimated_cost (decimal string) or estimate.</summary>
public sealed record AuthorizeRequest(string? Customer, JsonElement? EstimatedCost, EstimateRequest? Estimate);

/// <summary>
/// The answer: allowed, why (credits_cover | insufficient_credits | overage_policy), and the figures it rests on; available counts
/// allowance_remaining, the contract allowance usage recorded now draws before any credit.
/// </summary>
public sealed record AuthorizeView(bool Allowed, string Reason, string Policy, string Available, string AllowanceRemaining, string EstimatedCost,
    string Currency, long AsOf);

public static class Authorize
{
    [WolverinePost("/v1/authorize")]
    [Requires(Scopes.Ingest, Scopes.BillingWrite, CustomerOwned = true)]
    [Tags("Credits"), EndpointSummary("Spend check: may the customer spend this much now?")]
    [EndpointDescription("{customer, estimated_cost: \"0.25\"} or {customer, estimate: {model, meters: {input_tokens: 1200, ...}, dimensions}} " +
        "(priced by the customer's price book in force now). available counts allowance_remaining, what is left of the contract allowance " +
        "usage recorded now draws before any credit. Under the block policy allowed is false when available < estimated_cost; " +
        "under overage it is always true. available is as in GET balance (as of ledger position as_of) minus holds this node placed " +
        "that the projection has not reached yet. Answered from memory: no database round trip. Reserves nothing: use POST /v1/holds for that.")]
    [ProducesResponseType<AuthorizeView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Post(AuthorizeRequest request, HttpContext http, SpendView view, SpendViewLoader loader, IClock clock, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Customer))
            return Problems.BadRequest("Missing customer", "customer names the customer who would spend, e.g. \"acme\".", "customer");
        if (!Caller.Of(http).MayTouch(request.Customer) || !await loader.EnsureAsync(request.Customer, ct))
            return Problems.NotFound($"No customer \"{request.Customer}\". Create it with PUT /v1/customers/{{id}}.");
        var now = clock.GetCurrentInstant();
        var customer = view.CustomerOf(request.Customer)!;
        var (cost, problem) = await Estimates.AmountAsync("estimated_cost", request.EstimatedCost, request.Estimate, customer, loader, now, view.Rater, ct);
        if (problem is not null) return problem;
        var figures = view.Check(request.Customer, now)!.Value;
        var block = figures.Policy == CreditPolicy.Block;
        var (allowed, reason) = figures.Available >= cost ? (true, "credits_cover") : block ? (false, "insufficient_credits") : (true, "overage_policy");
        string M(decimal amount) => new Money(amount, figures.Customer.Currency).ToExactString();
        return Results.Json(new AuthorizeView(allowed, reason, figures.Policy.ToString().ToLowerInvariant(), M(figures.Available), M(figures.Allowance), M(cost),
            figures.Customer.Currency, figures.AsOf));
    }
}
