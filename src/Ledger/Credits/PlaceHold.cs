using System.Text.Json;
using Ledger.Access;
using Ledger.Hosting;
using Ledger.Kernel;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using NodaTime.Text;
using Npgsql;
using Wolverine;
using Wolverine.Http;

namespace Ledger.Credits;

/// <summary>Reserve an amount (decimal string) or a priced estimate for <c>timeout</c> (ISO 8601 duration); id: the client's key for retries.</summary>
public sealed record PlaceHoldRequest(string? Customer, JsonElement? Amount, EstimateRequest? Estimate, string? Timeout, string? Id);

public static class PlaceHold
{
    public static readonly Duration DefaultTimeout = Duration.FromMinutes(5);
    public static readonly Duration MaxTimeout = Duration.FromHours(24);

    [WolverinePost("/v1/holds")]
    [Requires(Scopes.Ingest, Scopes.BillingWrite)]
    [Tags("Credits"), EndpointSummary("Reserve credit before an expensive call (a hold)")]
    [EndpointDescription("{customer, amount: \"0.50\" | estimate: {model, meters, dimensions}, timeout: \"PT5M\" (default 5 min, at most 24 h), id (optional; " +
        "the same id again answers the same hold)}. 201 with the hold. Under the block policy a hold larger than available is refused with 402 " +
        "(insufficient-credits, nothing recorded); available counts the remaining contract allowance as in POST /v1/authorize; under overage it is always granted and still reduces available. The hold ends when settled " +
        "usage is rated, when released, or at expires_at.")]
    [ProducesResponseType<HoldView>(StatusCodes.Status201Created)]
    [ProducesResponseType<HoldView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status402PaymentRequired, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public static async Task<IResult> Post(PlaceHoldRequest request, HttpContext http, IDocumentSession session, IMessageBus bus,
        SpendView view, SpendViewLoader loader, NpgsqlDataSource db, IClock clock, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Customer))
            return Problems.BadRequest("Missing customer", "customer names the customer whose credit is held, e.g. \"acme\".", "customer");
        if (request.Id is { } clientId && (clientId.Length is 0 or > 200 || clientId.Any(char.IsControl)))
            return Problems.BadRequest("Invalid id", "id must have 1 to 200 characters (no control characters).", "id");
        var timeout = DefaultTimeout;
        if (request.Timeout is { } text &&
            (PeriodPattern.NormalizingIso.Parse(text) is not { Success: true } parsed || parsed.Value.HasDateComponent && (parsed.Value.Months != 0 || parsed.Value.Years != 0)
             || (timeout = parsed.Value.ToDuration()) <= Duration.Zero || timeout > MaxTimeout))
            return Problems.BadRequest("Invalid timeout", "timeout must be an ISO 8601 duration above zero and at most 24 hours, e.g. \"PT5M\" or \"PT30S\".", "timeout");
        if (!Caller.Of(http).MayTouch(request.Customer) || !await loader.EnsureAsync(request.Customer, ct))
            return Problems.NotFound($"No customer \"{request.Customer}\". Create it with PUT /v1/customers/{{id}}.");
        var now = clock.GetCurrentInstant();
        var customer = view.CustomerOf(request.Customer)!;
        var (amount, problem) = await Estimates.AmountAsync("amount", request.Amount, request.Estimate, customer, loader, now, view.Rater, ct);
        if (problem is not null) return problem;
        if (amount <= 0) return Problems.BadRequest("Invalid amount", "A hold must reserve more than zero.", "amount");

        var holdId = request.Id ?? $"hold_{Guid.NewGuid():N}";
        var stream = await session.Events.FetchForWriting<Hold>(HoldPlaced.StreamKey(holdId), ct);
        if (stream.Aggregate is { } existing)
            return existing.CustomerId == customer.CustomerId && existing.Amount.Amount == amount
                ? Results.Json(HoldView.Of(existing)) // a retry: the hold it placed
                : Problems.Conflict("Hold id in use", $"Hold \"{holdId}\" exists with another customer or amount; use a new id for a new hold.");

        // One placement at a time per customer on this node: the check and the local count are one step.
        using (await view.LockAsync(customer.CustomerId, ct))
        {
            var figures = view.Check(customer.CustomerId, now)!.Value;
            if (figures.Policy == CreditPolicy.Block && figures.Available < amount)
                return Problems.PaymentRequired("Insufficient credits",
                    $"Customer \"{customer.CustomerId}\" has {M(figures.Available)} {customer.Currency} available under the block policy " +
                    $"(of which {M(figures.Allowance)} contract allowance); the hold needs {M(amount)}. Nothing was held.",
                    new() { ["available"] = M(figures.Available), ["allowance_remaining"] = M(figures.Allowance), ["amount"] = M(amount), ["as_of"] = figures.AsOf });
            var placed = new HoldPlaced(holdId, customer.CustomerId, new Money(amount, customer.Currency), now.Plus(timeout), now, Caller.Of(http).KeyId);
            stream.AppendOne(placed);
            // Durable, in the same transaction (Marten outbox): the expiry cannot be lost once the hold is recorded.
            await bus.ScheduleAsync(new ExpireHold(holdId), timeout.ToTimeSpan());
            if (await HoldWrites.SaveAsync(session, stream, holdId, customer.CustomerId, amount, view, db, ct) is { } conflict) return conflict;
            return Results.Json(HoldView.Of(Hold.Create(placed)), statusCode: StatusCodes.Status201Created);
        }

        string M(decimal a) => new Money(a, customer.Currency).ToExactString();
    }
}
