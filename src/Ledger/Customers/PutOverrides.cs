using System.Globalization;
using System.Text.Json;
using JasperFx.Events;
using Ledger.Access;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Wolverine.Http;

namespace Ledger.Customers;

/// <summary>Negotiated terms as sent: a discount percentage and replacement rates per rule id, all decimal strings.</summary>
public sealed record PutOverridesRequest(string? EffectiveFrom, JsonElement? DiscountPercent, Dictionary<string, Dictionary<string, JsonElement>>? Rules);

public sealed record OverridesView(int Version, Instant EffectiveFrom, string DiscountPercent,
    IReadOnlyDictionary<string, Dictionary<string, string>> Rules, Instant SetAt, string SetBy)
{
    public static OverridesView Of(CustomerOverridesSet o) => new(o.Version, o.EffectiveFrom, Text(o.DiscountPercent),
        o.Rates.ToDictionary(r => r.Key, r => r.Value.ToDictionary(p => p.Key, p => Text(p.Value))), o.SetAt, o.SetBy);

    private static string Text(decimal d) => d.ToString(CultureInfo.InvariantCulture);
}

public static class PutOverrides
{
    [WolverinePut("/v1/customers/{customerId}/overrides")]
    [Requires(Scopes.BillingWrite)]
    [Tags("Customers"), EndpointSummary("Set a customer's negotiated terms from an instant on")]
    [EndpointDescription("effective_from (RFC 3339, business time), discount_percent (decimal string, 0–100, off every rated amount), " +
        "rules: { rule id: { rate name: replacement rate } }. Each PUT records a new version; usage is priced by the version with the " +
        "latest effective_from not after its time (a later version wins a tie), and usage from the start of the billing period " +
        "containing effective_from is rated again. Send {\"effective_from\": …} alone to end overrides from then on.")]
    [ProducesResponseType<CustomerView>(StatusCodes.Status201Created)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public static async Task<IResult> Put(string customerId, PutOverridesRequest request, HttpContext http,
        IDocumentStore store, IClock clock, CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        if (!RequestValues.TryInstant(request.EffectiveFrom, out var effectiveFrom)) return RequestValues.InvalidEffectiveFrom();
        var discount = 0m;
        if (request.DiscountPercent is { ValueKind: not JsonValueKind.Null } d && !TryDecimalString(d, out discount, max: 100m))
            return Problems.BadRequest("Invalid discount", "discount_percent must be a decimal string from \"0\" to \"100\", e.g. \"12.5\".", "discount_percent");
        var rates = new Dictionary<string, IReadOnlyDictionary<string, decimal>>();
        foreach (var (ruleId, ruleRates) in request.Rules ?? [])
        {
            var replaced = new Dictionary<string, decimal>();
            foreach (var (rateName, value) in ruleRates)
            {
                if (!TryDecimalString(value, out var rate, max: decimal.MaxValue))
                    return Problems.BadRequest("Invalid rate", $"rules.{ruleId}.{rateName} must be a non-negative decimal string such as \"2.00\".", $"rules.{ruleId}.{rateName}");
                replaced[rateName] = rate;
            }
            rates[ruleId] = replaced;
        }

        await using var session = store.LightweightSession();
        // FetchForWriting: the append is checked against the version read here, so two PUTs at the same moment cannot both become version n.
        var stream = await session.Events.FetchForWriting<Customer>(Customer.StreamKey(customerId), ct);
        var customer = stream.Aggregate;
        if (customer is null)
            return Problems.NotFound($"No customer \"{customerId}\". Create it with PUT /v1/customers/{{id}} first.");
        var unknown = UnknownRates(rates, customer.PriceBook is null ? null : await session.LoadAsync<Pricing.PriceBook>(Pricing.PriceBook.StreamKey(customer.PriceBook), ct));
        if (unknown is { } u) return Problems.BadRequest("Unknown rate", u.Problem, u.Field);

        var set = new CustomerOverridesSet(customerId, customer.Overrides.Count + 1, effectiveFrom, discount, rates,
            clock.GetCurrentInstant(), Caller.Of(http).KeyId);
        stream.AppendOne(set);
        if (await StreamWrites.SaveOrConflictAsync(session, "Changed concurrently",
                $"Customer \"{customerId}\" was changed at the same moment, so these overrides were not recorded. Send them again.", ct) is { } conflict) return conflict;
        // Answered from the log, not from the fetched aggregate (Marten may already have applied the new event to it).
        var saved = await session.Events.AggregateStreamAsync<Customer>(Customer.StreamKey(customerId), token: ct);
        return Results.Json(CustomerView.Of(saved!), statusCode: StatusCodes.Status201Created);
    }

    /// <summary>A replacement must name a rule and a rate some version of the customer's price book has: a typo would otherwise silently change nothing.</summary>
    /// <returns>The field at fault (<c>rules.{rule}</c> or <c>rules.{rule}.{rate}</c>, like the other errors of this request) and why; null when all are known.</returns>
    internal static (string Field, string Problem)? UnknownRates(Dictionary<string, IReadOnlyDictionary<string, decimal>> rates, Pricing.PriceBook? book)
    {
        if (rates.Count == 0) return null;
        if (book is null) return ("rules", "rules needs the customer's price book to exist: the customer has none yet.");
        foreach (var (ruleId, replaced) in rates)
        {
            var rules = book.Versions.SelectMany(v => v.Rules).Where(r => r.Id == ruleId).ToList();
            if (rules.Count == 0) return ($"rules.{ruleId}", $"rules.{ruleId}: price book \"{book.PriceBookId}\" has no rule \"{ruleId}\".");
            var missing = replaced.Keys.FirstOrDefault(rate => !rules.Any(r => r.Rates.ContainsKey(rate)));
            if (missing is not null)
                return ($"rules.{ruleId}.{missing}",
                    $"rules.{ruleId}.{missing}: rule \"{ruleId}\" has no flat rate \"{missing}\" (it has {string.Join(", ", rules.SelectMany(r => r.Rates.Keys).Distinct())}).");
        }
        return null;
    }

    private static bool TryDecimalString(JsonElement value, out decimal result, decimal max) =>
        RequestValues.TryDecimalString(value, out result) && result >= 0 && result <= max;
}
