using System.Text.Json;
using JasperFx.Events;
using Ledger.Access;
using Ledger.Credits;
using Ledger.Hosting;
using Ledger.Kernel;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Wolverine.Http;

namespace Ledger.Customers;

/// <summary>The budget as sent: amount as a decimal string (or number), period "month" or "day".</summary>
public sealed record BudgetRequest(JsonElement? Amount, string? Period, List<decimal>? AlertThresholds);

/// <summary>Create or update a customer. Left-out fields keep their current value (defaults on creation: USD, UTC).</summary>
public sealed record PutCustomerRequest(string? Currency, string? TimeZone, string? PriceBook, BudgetRequest? Budget, CreditTermsRequest? Credits = null);

/// <summary>A customer as the API shows it; money as decimal strings.</summary>
public sealed record CustomerView(string Id, string Currency, string TimeZone, string? PriceBook, BudgetView? Budget, CreditTermsView Credits,
    Instant CreatedAt, Instant UpdatedAt, IReadOnlyList<PriceBookAssignment> PriceBookHistory, IReadOnlyList<OverridesView> Overrides)
{
    public static CustomerView Of(Customer c) => new(c.CustomerId, c.Currency, c.TimeZone, c.PriceBook,
        c.Budget is null ? null : new BudgetView(c.Budget.Amount.ToString(), c.Budget.Period.ToString().ToLowerInvariant(), c.Budget.AlertThresholds),
        CreditTermsView.Of(c.Credits, c.Currency), c.CreatedAt, c.UpdatedAt, c.PriceBooks, c.Overrides.Select(OverridesView.Of).ToList());
}

public sealed record BudgetView(string Amount, string Period, IReadOnlyList<decimal> AlertThresholds);

public static class PutCustomer
{
    [WolverinePut("/v1/customers/{customerId}")]
    [Requires(Scopes.BillingWrite)]
    [Tags("Customers"), EndpointSummary("Create or update a customer's billing terms")]
    [EndpointDescription("currency (ISO 4217, default USD; cannot change once set), time_zone (IANA, default UTC; billing " +
        "periods are computed in it), price_book (id), budget {amount, period: month|day, alert_thresholds: e.g. [0.5, 0.8, 1.0]}, " +
        "credits {policy: overage|block, low_balance_alerts: [{amount: \"10.00\"} or {fraction_of_last_top_up: \"0.25\"}]} (docs/credits.md). " +
        "Fields left out keep their value; a PUT that changes nothing records nothing.")]
    [ProducesResponseType<CustomerView>(StatusCodes.Status200OK)]
    [ProducesResponseType<CustomerView>(StatusCodes.Status201Created)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public static async Task<IResult> Put(string customerId, PutCustomerRequest request, HttpContext http,
        IDocumentStore store, IClock clock, CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        if (customerId.Length is 0 or > 256)
            return Problems.BadRequest("Invalid customer id", "The customer id must have 1 to 256 characters.", "customerId");
        await using var session = store.LightweightSession();
        // FetchForWriting: the append is checked against the version read here, so a concurrent change is refused, never lost.
        var stream = await session.Events.FetchForWriting<Customer>(Customer.StreamKey(customerId), ct);
        var current = stream.Aggregate;

        var currency = request.Currency ?? current?.Currency ?? "USD";
        if (!Currency.IsKnown(currency))
            return Problems.UnknownCurrency(currency);
        if (current is not null && currency != current.Currency)
            return Problems.Conflict("Currency cannot change",
                $"Customer \"{customerId}\" is billed in {current.Currency}; a customer's currency is fixed once set. Create a new customer for another currency.");
        var timeZone = request.TimeZone ?? current?.TimeZone ?? "UTC";
        if (DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone) is null)
            return Problems.BadRequest("Unknown time zone", $"\"{timeZone}\" is not an IANA time zone id (e.g. Europe/Berlin, America/New_York, UTC).", "time_zone");
        var priceBook = request.PriceBook ?? current?.PriceBook;
        var (budget, problem) = request.Budget is null ? (current?.Budget, null) : ReadBudget(request.Budget, currency);
        if (problem is not null) return problem;
        var (credits, creditsProblem) = request.Credits is null
            ? (current?.Credits ?? CreditTerms.Default, null)
            : request.Credits.Read(current?.Credits ?? CreditTerms.Default, currency);
        if (creditsProblem is not null) return creditsProblem;

        var terms = new CustomerTermsSet(customerId, currency, timeZone, priceBook, budget, clock.GetCurrentInstant(), Caller.Of(http).KeyId, credits);
        if (current is not null && Unchanged(current, terms)) return Results.Json(CustomerView.Of(current));
        stream.AppendOne(terms);
        if (await StreamWrites.SaveOrConflictAsync(session, "Changed concurrently",
                $"Customer \"{customerId}\" was created or changed at the same moment, so these terms were not recorded. Send them again.", ct) is { } conflict) return conflict;

        // Answered from the log, not from the fetched aggregate (Marten may already have applied the new event to it).
        var saved = await session.Events.AggregateStreamAsync<Customer>(Customer.StreamKey(customerId), token: ct);
        return Results.Json(CustomerView.Of(saved!), statusCode: current is null ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static (Budget?, IResult?) ReadBudget(BudgetRequest request, string currency)
    {
        decimal amount;
        var value = request.Amount;
        if (value is { } text && RequestValues.TryDecimalString(text, out amount)) { }
        else if (value is { ValueKind: JsonValueKind.Number } && value.Value.TryGetDecimal(out amount)) { }
        else return (null, Problems.BadRequest("Invalid budget amount", "budget.amount must be a decimal amount such as \"100.00\".", "budget.amount"));
        if (amount <= 0)
            return (null, Problems.BadRequest("Invalid budget amount", "budget.amount must be greater than zero.", "budget.amount"));
        BudgetPeriod? period = (request.Period ?? "month").ToLowerInvariant() switch
        {
            "month" => BudgetPeriod.Month,
            "day" => BudgetPeriod.Day,
            _ => null
        };
        if (period is null)
            return (null, Problems.BadRequest("Invalid budget period", "budget.period must be \"month\" or \"day\".", "budget.period"));
        var thresholds = request.AlertThresholds ?? [1.0m];
        if (thresholds.Count == 0 || thresholds.Any(t => t <= 0 || t > 10) || thresholds.Distinct().Count() != thresholds.Count)
            return (null, Problems.BadRequest("Invalid alert thresholds",
                "budget.alert_thresholds must be distinct fractions of the budget above 0 (at most 10), e.g. [0.5, 0.8, 1.0].", "budget.alert_thresholds"));
        return (new Budget(new Money(amount, currency), period.Value, thresholds.Order().ToList()), null);
    }

    private static bool Unchanged(Customer c, CustomerTermsSet t) =>
        c.Currency == t.Currency && c.TimeZone == t.TimeZone && c.PriceBook == t.PriceBook &&
        Budget.Same(c.Budget, t.Budget) && CreditTerms.Same(c.Credits, t.Credits);
}
