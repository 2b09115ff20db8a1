using System.Globalization;
using System.Text.Json;
using Ledger.Usage;

namespace Ledger.Pricing;

/// <summary>A rule as sent: rates must be decimal strings, never JSON numbers (binary floats in most clients).</summary>
public sealed record PriceRuleRequest(string? Id, Dictionary<string, string>? Match, JsonElement? Per,
    Dictionary<string, JsonElement>? Rates, string? Formula);

/// <summary>Pure checks of a price-book version before it is published, each naming the rule and the fix.</summary>
public static class PriceBookValidation
{
    /// <summary>Returns the rules to publish, or (field, message) for the first problem found.</summary>
    public static (List<PriceRule>? Rules, string? Field, string? Problem) Validate(IReadOnlyList<PriceRuleRequest>? requests)
    {
        if (requests is null || requests.Count == 0) return (null, "rules", "rules must list at least one rule");
        var rules = new List<PriceRule>();
        for (var i = 0; i < requests.Count; i++)
        {
            var (rule, field, problem) = ValidateRule(requests[i], $"rules[{i}]");
            if (problem is not null) return (null, field, problem);
            if (rules.Any(r => r.Id == rule!.Id)) return (null, $"rules[{i}].id", $"rule id \"{rule!.Id}\" is used twice; rule ids must be unique");
            rules.Add(rule!);
        }
        var tie = FindAmbiguity(rules);
        return tie is null ? (rules, null, null) : (null, "rules", tie);
    }

    private static (PriceRule?, string?, string?) ValidateRule(PriceRuleRequest r, string at)
    {
        if (string.IsNullOrWhiteSpace(r.Id)) return (null, $"{at}.id", "every rule needs an id");
        var name = $"rule \"{r.Id}\"";
        var per = 1m;
        if (r.Per is { } perElement &&
            !(perElement.ValueKind == JsonValueKind.Number && perElement.TryGetDecimal(out per) && per > 0 && per == decimal.Truncate(per)))
            return (null, $"{at}.per", $"{name}: per must be a positive whole number of units, e.g. 1000000 for prices per million tokens");
        if (r.Rates is null || r.Rates.Count == 0) return (null, $"{at}.rates", $"{name}: rates must name at least one rate");
        var rates = new Dictionary<string, decimal>();
        foreach (var (rateName, value) in r.Rates)
        {
            if (value.ValueKind != JsonValueKind.String)
                return (null, $"{at}.rates.{rateName}", $"{name}: rate \"{rateName}\" must be a decimal string such as \"2.50\" (JSON numbers are binary floats in most clients)");
            if (!decimal.TryParse(value.GetString(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate) || rate < 0)
                return (null, $"{at}.rates.{rateName}", $"{name}: rate \"{rateName}\" = \"{value.GetString()}\" is not a non-negative decimal");
            rates[rateName] = rate;
        }
        if (r.Formula is not null)
        {
            try
            {
                Formula.Compile(r.Formula, v => rates.ContainsKey(v) || CloudEventReader.IsMeterName(v),
                    $"the rule's rates ({string.Join(", ", rates.Keys)}) and meters (*_tokens, *_seconds, images, ...)");
            }
            catch (FormulaException ex)
            {
                return (null, $"{at}.formula", $"{name}: {ex.Reason} at position {ex.Position} of the formula");
            }
        }
        return (new PriceRule(r.Id, r.Match ?? new Dictionary<string, string>(), per, rates, r.Formula), null, null);
    }

    /// <summary>The meter a rate prices when a rule has no formula: "input" → input_tokens, "images" → images.</summary>
    public static string MeterFor(string rate) => CloudEventReader.IsMeterName(rate) ? rate : rate + "_tokens";

    /// <summary>
    /// Two rules with as many match conditions, none contradicting the other, both match some event
    /// equally specifically: the price would depend on the order of the rules, so publishing refuses it.
    /// </summary>
    private static string? FindAmbiguity(List<PriceRule> rules)
    {
        for (var i = 0; i < rules.Count; i++)
        for (var j = i + 1; j < rules.Count; j++)
        {
            var (a, b) = (rules[i], rules[j]);
            if (a.Match.Count != b.Match.Count) continue;
            var compatible = a.Match.All(m => !b.Match.TryGetValue(m.Key, out var v) || v == m.Value);
            if (compatible)
                return $"rules \"{a.Id}\" and \"{b.Id}\" are equally specific and can match the same event " +
                       $"(e.g. {string.Join(", ", a.Match.Concat(b.Match).DistinctBy(m => m.Key).Select(m => $"{m.Key}={m.Value}"))}); " +
                       "make one more specific or make their conditions exclusive";
        }
        return null;
    }
}
