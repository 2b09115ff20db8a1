using System.Collections.Concurrent;
using Ledger.Customers;
using Ledger.Kernel;
using Ledger.Usage;

namespace Ledger.Pricing;

/// <summary>The result of pricing one usage event: <see cref="Rated"/>, <see cref="Unpriced"/> or <see cref="Unassigned"/>.</summary>
public abstract record RatingOutcome;

/// <summary>
/// What one meter of an event costs. A formula's amount is split per meter by <see cref="Rater"/> (docs/pricing.md).
/// <see cref="Included"/>: how many of <see cref="Quantity"/> a contract included free (not priced); none when null.
/// </summary>
public sealed record RatedLine(string Meter, decimal Quantity, decimal Amount,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] decimal? Included = null);

/// <summary>
/// What one usage event costs, exactly which price produced it (price book version and rule, and the customer's overrides or the
/// contract version that adjusted it), and the amount per meter (the lines add up to the amount).
/// </summary>
public sealed record Rated(Money Amount, string PriceBookId, int Version, string RuleId, int? OverrideVersion, IReadOnlyList<RatedLine> Lines,
    string? ContractId = null, int? ContractAmendment = null) : RatingOutcome;

/// <summary>Why an event could not be priced (yet): it is kept and priced once a price covers it.</summary>
public sealed record Unpriced(string Reason) : RatingOutcome;

/// <summary>The event names a customer the ledger does not know (yet): kept, and rated once the customer exists.</summary>
public sealed record Unassigned : RatingOutcome;

/// <summary>
/// Prices one usage event: the customer's price book at the event's business time, the version in
/// force then, the most specific matching rule, the customer's overrides in force then (inside a contract:
/// the overage terms of the contract version in force then, instead); the amount is
/// the formula or Σ meter × rate (tiered rates count on the billing period's running total), divided
/// by <c>per</c>. No I/O, no clock, no rounding: amounts keep full precision, invoices round once.
/// </summary>
public sealed class Rater
{
    private readonly ConcurrentDictionary<(string Book, int Version, string Rule), Formula> _formulas = new();

    /// <param name="book">The price book <paramref name="customer"/> has at the event's time (the caller loads it).</param>
    /// <param name="free">Units per meter a contract includes free for this event (counted by the caller in ledger order): only the rest is priced.</param>
    public RatingOutcome Rate(UsageRecorded usage, Customer? customer, PriceBook? book, TierCounters tiers, IReadOnlyDictionary<string, decimal>? free = null)
    {
        free ??= NoneFree;
        if (customer is null) return new Unassigned();
        var bookId = customer.PriceBookAt(usage.UsageAt);
        if (bookId is null) return new Unpriced("the customer has no price book");
        if (book is null) return new Unpriced($"price book \"{bookId}\" does not exist");
        var version = book.InForceAt(usage.UsageAt);
        if (version is null) return new Unpriced($"no version of price book \"{book.PriceBookId}\" is in force at {usage.UsageAt}");
        if (version.Currency != customer.Currency)
            return new Unpriced($"price book \"{book.PriceBookId}\" prices in {version.Currency} but the customer is billed in {customer.Currency}");
        var rule = MostSpecificMatch(version.Rules, usage.Dimensions);
        if (rule is null)
            return new Unpriced($"no rule of price book \"{book.PriceBookId}\" version {version.Version} matches " +
                (usage.Dimensions.Count == 0 ? "an event without dimensions" : string.Join(", ", usage.Dimensions.Select(d => $"{d.Key}={d.Value}"))));
        // The customer's overrides, or inside a contract the overage terms of its version in force (Customer.NegotiatedAt).
        var negotiated = customer.NegotiatedAt(usage.UsageAt);
        var rates = negotiated?.Rates.GetValueOrDefault(rule.Id) is { } replaced
            ? rule.Rates.ToDictionary(r => r.Key, r => replaced.GetValueOrDefault(r.Key, r.Value))
            : rule.Rates;
        try
        {
            var lines = rule.Formula is null
                ? BySum(usage, customer, book.PriceBookId, rule, rates, tiers, free)
                : ByFormula(usage, version, rule, rates, free);
            if (negotiated is { DiscountPercent: > 0 } discount)
                lines = lines.Select(l => l with { Amount = l.Amount * (100m - discount.DiscountPercent) / 100m }).ToList();
            var amount = lines.Sum(l => l.Amount);
            return new Rated(new Money(amount, version.Currency), version.PriceBookId, version.Version, rule.Id, negotiated?.OverrideVersion, lines,
                negotiated?.ContractId, negotiated?.Amendment);
        }
        catch (FormulaEvaluationException ex)
        {
            return new Unpriced($"rule \"{rule.Id}\": {ex.Message}");
        }
        catch (OverflowException)
        {
            return new Unpriced($"rule \"{rule.Id}\": the amount does not fit a 28-digit decimal");
        }
    }

    /// <summary>The matching rule with the most conditions; publishing guarantees there is no tie.</summary>
    public static PriceRule? MostSpecificMatch(IReadOnlyList<PriceRule> rules, IReadOnlyDictionary<string, string> dimensions)
    {
        PriceRule? best = null;
        foreach (var rule in rules)
        {
            if (best is not null && rule.Match.Count <= best.Match.Count) continue;
            var matches = true;
            foreach (var (key, value) in rule.Match)
                if (!dimensions.TryGetValue(key, out var actual) || actual != value) { matches = false; break; }
            if (matches) best = rule;
        }
        return best;
    }

    private static readonly Dictionary<string, decimal> NoneFree = new();

    /// <summary>
    /// One line per meter of the event: priced meters at their (flat or tiered) rate, the others at zero. Free units are
    /// the event's first: a tier total counts them, and they take the first of the event's places on the tiers, at no charge.
    /// </summary>
    private static List<RatedLine> BySum(UsageRecorded usage, Customer customer, string bookId, PriceRule rule,
        IReadOnlyDictionary<string, decimal> rates, TierCounters tiers, IReadOnlyDictionary<string, decimal> free)
    {
        var amounts = new Dictionary<string, decimal>();
        foreach (var (rateName, rate) in rates)
        {
            var meter = PriceBookValidation.MeterFor(rateName);
            amounts[meter] = amounts.GetValueOrDefault(meter) + (usage.Meters.GetValueOrDefault(meter) - free.GetValueOrDefault(meter)) * rate / rule.Per;
        }
        if (rule.Tiers is { Count: > 0 })
        {
            var period = CustomerPeriods.Of(customer, usage.UsageAt).Span;
            foreach (var (rateName, tiered) in rule.Tiers)
            {
                var meter = PriceBookValidation.MeterFor(rateName);
                var quantity = usage.Meters.GetValueOrDefault(meter);
                var included = free.GetValueOrDefault(meter);
                var before = tiers.Take(new TierKey(customer.CustomerId, period.Start, bookId, rule.Id, meter), quantity);
                amounts[meter] = amounts.GetValueOrDefault(meter) + tiered.Charge(before + included, quantity - included) / rule.Per;
            }
        }
        return LinesFor(usage, amounts, free);
    }

    /// <summary>
    /// The formula prices the event; each meter's line is what the formula charges for that meter
    /// alone (all other meters zero), and whatever a non-linear formula adds beyond those (a fixed fee,
    /// a minimum) is a line of its own, "other", so the lines always add up to the formula's amount.
    /// </summary>
    private List<RatedLine> ByFormula(UsageRecorded usage, PriceBookVersionPublished version, PriceRule rule, IReadOnlyDictionary<string, decimal> rates,
        IReadOnlyDictionary<string, decimal> free)
    {
        var formula = _formulas.GetOrAdd((version.PriceBookId, version.Version, rule.Id), _ =>
            Formula.Compile(rule.Formula!, v => rule.Rates.ContainsKey(v) || CloudEventReader.IsMeterName(v), "the rule's rates and meters"));
        var values = new decimal[formula.Variables.Count];
        for (var i = 0; i < values.Length; i++)
            values[i] = rates.TryGetValue(formula.Variables[i], out var rate) ? rate
                : usage.Meters.GetValueOrDefault(formula.Variables[i]) - free.GetValueOrDefault(formula.Variables[i]); // the formula prices the units beyond the free ones
        var total = formula.Evaluate(values) / rule.Per;

        var lines = LinesFor(usage, AmountsPerMeter(formula, values, rates, rule.Per), free);
        var rest = total - lines.Sum(l => l.Amount);
        if (rest != 0) lines.Add(new RatedLine("other", 0, rest));
        return lines;
    }

    /// <summary>Each meter alone; empty when the formula cannot be evaluated with the other meters at zero (e.g. it divides by one).</summary>
    private static Dictionary<string, decimal> AmountsPerMeter(Formula formula, decimal[] values, IReadOnlyDictionary<string, decimal> rates, decimal per)
    {
        var amounts = new Dictionary<string, decimal>();
        var alone = new decimal[values.Length];
        try
        {
            for (var i = 0; i < values.Length; i++)
            {
                if (rates.ContainsKey(formula.Variables[i])) continue;
                for (var j = 0; j < values.Length; j++)
                    alone[j] = j == i || rates.ContainsKey(formula.Variables[j]) ? values[j] : 0m;
                amounts[formula.Variables[i]] = formula.Evaluate(alone) / per;
            }
            return amounts;
        }
        catch (Exception ex) when (ex is FormulaEvaluationException or OverflowException)
        {
            return [];
        }
    }

    private static List<RatedLine> LinesFor(UsageRecorded usage, Dictionary<string, decimal> amounts, IReadOnlyDictionary<string, decimal> free)
    {
        var lines = new List<RatedLine>(usage.Meters.Count + amounts.Count);
        foreach (var (meter, quantity) in usage.Meters)
            lines.Add(new RatedLine(meter, quantity, amounts.GetValueOrDefault(meter), free.TryGetValue(meter, out var included) ? included : null));
        foreach (var (meter, amount) in amounts)
            if (!usage.Meters.ContainsKey(meter) && amount != 0) lines.Add(new RatedLine(meter, 0, amount));
        return lines;
    }
}
