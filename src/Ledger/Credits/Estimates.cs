using System.Text.Json;
using Ledger.Customers;
using Ledger.Hosting;
using Ledger.Pricing;
using Ledger.Usage;
using NodaTime;

namespace Ledger.Credits;

/// <summary>What a call is expected to cost: the model and meters of its usage event-to-be, priced like the event will be.</summary>
public sealed record EstimateRequest(string? Model, JsonElement? Meters, JsonElement? Dimensions);

/// <summary>
/// The amount a spend check or a hold is about: a decimal string sent as is, or an estimate priced by
/// the customer's price book in force now with the pure <see cref="Rater"/> (no database round trip:
/// documents come from the <see cref="SpendView"/>).
/// </summary>
/// <remarks>
/// Tiered rates are priced as if the period's running total were zero (the first tier's rate): the
/// view does not keep tier counters, and an estimate that reserves a little more is the safe side.
/// </remarks>
public static class Estimates
{
    public static async Task<(decimal Amount, IResult? Problem)> AmountAsync(string field, JsonElement? amount, EstimateRequest? estimate,
        Customer customer, SpendViewLoader loader, Instant now, Rater rater, CancellationToken ct)
    {
        if (amount is not null && estimate is not null)
            return (0, Problems.BadRequest("Amount or estimate", $"Send either {field} or estimate, not both.", field));
        if (amount is { } text)
        {
            if (!RequestValues.TryDecimalString(text, out var value) || value < 0)
                return (0, Problems.BadRequest($"Invalid {field}", $"{field} must be a non-negative decimal string such as \"0.25\" (a JSON string, not a number).", field));
            return (value, null);
        }
        if (estimate is null)
            return (0, Problems.BadRequest($"Missing {field}", $"Send {field} (e.g. \"0.25\") or estimate {{\"model\": ..., \"meters\": {{...}}}}.", field));
        if (string.IsNullOrWhiteSpace(estimate.Model))
            return (0, Problems.BadRequest("Missing estimate.model", "estimate.model names the model the call uses, e.g. \"gpt-4o\".", "estimate.model"));
        var meters = new Dictionary<string, decimal>();
        if (estimate.Meters is not { ValueKind: JsonValueKind.Object } m)
            return (0, Problems.BadRequest("Invalid estimate.meters", "estimate.meters must be an object of meter → non-negative number, e.g. {\"input_tokens\": 1200}.", "estimate.meters"));
        foreach (var meter in m.EnumerateObject())
        {
            if (meter.Value.ValueKind != JsonValueKind.Number || !meter.Value.TryGetDecimal(out var quantity) || quantity < 0 || !CloudEventReader.IsMeterName(meter.Name))
                return (0, Problems.BadRequest("Invalid estimate.meters", $"estimate.meters.{meter.Name} must be a meter name with a non-negative number.", $"estimate.meters.{meter.Name}"));
            meters[meter.Name] = quantity;
        }
        var dimensions = new Dictionary<string, string>();
        if (estimate.Dimensions is { ValueKind: not JsonValueKind.Null } d)
        {
            if (d.ValueKind != JsonValueKind.Object || d.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String))
                return (0, Problems.BadRequest("Invalid estimate.dimensions", "estimate.dimensions must be an object of name → string.", "estimate.dimensions"));
            foreach (var p in d.EnumerateObject()) dimensions[p.Name] = p.Value.GetString()!;
        }
        dimensions["model"] = estimate.Model;

        var bookId = customer.PriceBookAt(now);
        var book = bookId is null ? null : await loader.BookAsync(bookId, ct);
        var usage = new UsageRecorded(customer.CustomerId, "estimate", "estimate", "estimate", now, now, meters, dimensions, null, "");
        return rater.Rate(usage, customer, book, new TierCounters()) switch
        {
            Rated rated => (rated.Amount.Amount, null),
            Unpriced unpriced => (0, Problems.BadRequest("Estimate cannot be priced", $"The estimate cannot be priced: {unpriced.Reason}.", "estimate")),
            _ => (0, Problems.BadRequest("Estimate cannot be priced", "The estimate cannot be priced.", "estimate"))
        };
    }
}
