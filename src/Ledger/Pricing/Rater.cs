using System.Collections.Concurrent;
using Ledger.Kernel;
using Ledger.Usage;

namespace Ledger.Pricing;

/// <summary>The result of pricing one usage event: <see cref="Rated"/> or <see cref="Unpriced"/>.</summary>
public abstract record RatingOutcome;

/// <summary>What one usage event costs, and exactly which price produced it.</summary>
/// <param name="Breakdown">Amount per meter when the rule has no formula (they add up to <paramref name="Amount"/>); null with a formula.</param>
public sealed record Rated(Money Amount, string PriceBookId, int Version, string RuleId, IReadOnlyDictionary<string, Money>? Breakdown) : RatingOutcome;

/// <summary>Why an event could not be priced (yet): it is kept and priced once a price covers it.</summary>
public sealed record Unpriced(string Reason) : RatingOutcome;

/// <summary>
/// Prices one usage event with a price book: the version in force at the event's business time, the
/// most specific matching rule, then its formula or Σ meter × rate, divided by <c>per</c>. Pure: no
/// I/O, no clock, no rounding (amounts keep full precision; invoices round once).
/// </summary>
public sealed class Rater
{
    private readonly ConcurrentDictionary<(string Book, int Version, string Rule), Formula> _formulas = new();

    public RatingOutcome Rate(UsageRecorded usage, string customerCurrency, PriceBook? book)
    {
        if (book is null) return new Unpriced("the customer has no price book");
        var version = book.InForceAt(usage.UsageAt);
        if (version is null) return new Unpriced($"no version of price book \"{book.PriceBookId}\" is in force at {usage.UsageAt}");
        if (version.Currency != customerCurrency)
            return new Unpriced($"price book \"{book.PriceBookId}\" prices in {version.Currency} but the customer is billed in {customerCurrency}");
        var rule = MostSpecificMatch(version.Rules, usage.Dimensions);
        if (rule is null)
            return new Unpriced($"no rule of price book \"{book.PriceBookId}\" version {version.Version} matches " +
                (usage.Dimensions.Count == 0 ? "an event without dimensions" : string.Join(", ", usage.Dimensions.Select(d => $"{d.Key}={d.Value}"))));
        try
        {
            return rule.Formula is null ? BySum(usage, version, rule) : ByFormula(usage, version, rule);
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
    public static PriceRule? MostSpecificMatch(IReadOnlyList<PriceRule> rules, IReadOnlyDictionary<string, string> dimensions) =>
        rules.Where(r => r.Match.All(m => dimensions.TryGetValue(m.Key, out var v) && v == m.Value))
            .MaxBy(r => r.Match.Count);

    private static Rated BySum(UsageRecorded usage, PriceBookVersionPublished version, PriceRule rule)
    {
        var breakdown = new Dictionary<string, Money>();
        var total = 0m;
        foreach (var (rateName, rate) in rule.Rates)
        {
            var meter = PriceBookValidation.MeterFor(rateName);
            var amount = usage.Meters.GetValueOrDefault(meter) * rate / rule.Per;
            breakdown[meter] = new Money(amount, version.Currency);
            total += amount;
        }
        return new Rated(new Money(total, version.Currency), version.PriceBookId, version.Version, rule.Id, breakdown);
    }

    private Rated ByFormula(UsageRecorded usage, PriceBookVersionPublished version, PriceRule rule)
    {
        var formula = _formulas.GetOrAdd((version.PriceBookId, version.Version, rule.Id), _ =>
            Formula.Compile(rule.Formula!, v => rule.Rates.ContainsKey(v) || CloudEventReader.IsMeterName(v), "the rule's rates and meters"));
        var values = new decimal[formula.Variables.Count];
        for (var i = 0; i < values.Length; i++)
        {
            var name = formula.Variables[i];
            values[i] = rule.Rates.TryGetValue(name, out var rate) ? rate : usage.Meters.GetValueOrDefault(name);
        }
        var amount = formula.Evaluate(values) / rule.Per;
        return new Rated(new Money(amount, version.Currency), version.PriceBookId, version.Version, rule.Id, null);
    }
}
