using System.Text.Json;
using Ledger.Hosting;
using Ledger.Usage;

namespace Ledger.Pricing;

/// <summary>A rule as sent: rates must be decimal strings, never JSON numbers (binary floats in most clients).</summary>
public sealed record PriceRuleRequest(string? Id, Dictionary<string, string>? Match, JsonElement? Per,
    Dictionary<string, JsonElement>? Rates, string? Formula, Dictionary<string, TiersRequest>? Tiers = null);

/// <summary>A tiered rate as sent: mode "graduated" (default) or "volume", steps with up_to (all but the last) and a decimal-string rate.</summary>
public sealed record TiersRequest(string? Mode, List<TierStepRequest>? Steps);

public sealed record TierStepRequest(JsonElement? UpTo, JsonElement? Rate);

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
        if ((r.Rates is null || r.Rates.Count == 0) && (r.Tiers is null || r.Tiers.Count == 0))
            return (null, $"{at}.rates", $"{name}: rates must name at least one rate");
        var rates = new Dictionary<string, decimal>();
        foreach (var (rateName, value) in r.Rates ?? [])
        {
            var (rate, problem) = ReadRate(value, $"{name}: rate \"{rateName}\"");
            if (problem is not null) return (null, $"{at}.rates.{rateName}", problem);
            rates[rateName] = rate;
        }
        var (tiers, tierField, tierProblem) = ValidateTiers(r, at, name, rates);
        if (tierProblem is not null) return (null, tierField, tierProblem);
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
        return (new PriceRule(r.Id, r.Match ?? new Dictionary<string, string>(), per, rates, r.Formula, tiers), null, null);
    }

    private static (decimal, string?) ReadRate(JsonElement value, string what)
    {
        if (value.ValueKind != JsonValueKind.String)
            return (0, $"{what} must be a decimal string such as \"2.50\" (JSON numbers are binary floats in most clients)");
        if (!RequestValues.TryDecimalString(value, out var rate) || rate < 0)
            return (0, $"{what} = \"{value.GetString()}\" is not a non-negative decimal");
        return (rate, null);
    }

    /// <summary>Tiers by rate name: only without a formula, a rate is flat or tiered (not both), limits strictly increase, the last tier is open.</summary>
    private static (Dictionary<string, Tiers>?, string?, string?) ValidateTiers(PriceRuleRequest r, string at, string name, Dictionary<string, decimal> rates)
    {
        if (r.Tiers is null || r.Tiers.Count == 0) return (null, null, null);
        if (r.Formula is not null)
            return (null, $"{at}.tiers", $"{name}: tiers price a rule without a formula (Σ meter × rate); remove the formula or the tiers");
        var result = new Dictionary<string, Tiers>();
        foreach (var (rateName, request) in r.Tiers)
        {
            var field = $"{at}.tiers.{rateName}";
            if (rates.ContainsKey(rateName))
                return (null, field, $"{name}: rate \"{rateName}\" is both flat (in rates) and tiered; keep one");
            TierMode? mode = (request.Mode ?? "graduated").ToLowerInvariant() switch
            {
                "graduated" => TierMode.Graduated,
                "volume" => TierMode.Volume,
                _ => null
            };
            if (mode is null) return (null, $"{field}.mode", $"{name}: tier mode must be \"graduated\" or \"volume\"");
            if (request.Steps is null || request.Steps.Count == 0) return (null, $"{field}.steps", $"{name}: tiers of \"{rateName}\" need at least one step");
            var steps = new List<TierStep>();
            for (var i = 0; i < request.Steps.Count; i++)
            {
                var step = request.Steps[i];
                var last = i == request.Steps.Count - 1;
                var (rate, problem) = step.Rate is { } rateValue ? ReadRate(rateValue, $"{name}: tier {i + 1} of \"{rateName}\"") : (0, $"{name}: tier {i + 1} of \"{rateName}\" needs a rate");
                if (problem is not null) return (null, $"{field}.steps[{i}].rate", problem);
                decimal? upTo = null;
                if (step.UpTo is { ValueKind: not JsonValueKind.Null } limit)
                {
                    if (!(limit.ValueKind == JsonValueKind.Number && limit.TryGetDecimal(out var value) && value > 0 && value > (steps.LastOrDefault()?.UpTo ?? 0)))
                        return (null, $"{field}.steps[{i}].up_to", $"{name}: tier {i + 1} of \"{rateName}\": up_to must be a number above the previous tier's");
                    upTo = value;
                }
                if (last != (upTo is null))
                    return (null, $"{field}.steps[{i}].up_to", last
                        ? $"{name}: the last tier of \"{rateName}\" must have no up_to (it prices everything above the previous tier)"
                        : $"{name}: tier {i + 1} of \"{rateName}\" needs up_to (only the last tier is open-ended)");
                steps.Add(new TierStep(upTo, rate));
            }
            result[rateName] = new Tiers(mode.Value, steps);
        }
        return (result, null, null);
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
