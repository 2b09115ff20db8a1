using System.Text.Json;
using Ledger.Hosting;
using Ledger.Kernel;

namespace Ledger.Contracts;

/// <summary>
/// Reads the terms parts of a contract request: <c>fee</c>, <c>included</c>, <c>overage</c>,
/// <c>minimum_commitment</c>. A part left out keeps its current value; a part sent as null removes it.
/// Money is a decimal string in the customer's currency with at most its minor units.
/// </summary>
public sealed class ContractTermsReader(string currency)
{
    public (ContractTerms?, IResult?) Read(ContractTerms current, JsonElement fee, JsonElement included, JsonElement overage, JsonElement minimum)
    {
        var terms = current;
        IResult? problem = null;
        terms = Part(fee, ReadFee, terms, (t, v) => t with { Fee = v }, ref problem);
        terms = Part(included, ReadAllowance, terms, (t, v) => t with { Included = v }, ref problem);
        terms = Part(overage, ReadOverage, terms, (t, v) => t with { Overage = v }, ref problem);
        terms = Part(minimum, m => ReadMoney(m, "minimum_commitment.amount"), terms, (t, v) => t with { MinimumCommitment = v }, ref problem);
        return problem is null ? (terms, null) : (null, problem);
    }

    /// <summary>
    /// One part: left out (<see cref="JsonValueKind.Undefined"/>: a non-nullable JsonElement property tells "absent" from
    /// null) keeps <paramref name="terms"/>, null removes the part, otherwise it is read (the first problem wins).
    /// </summary>
    private static ContractTerms Part<T>(JsonElement sent, Func<JsonElement, (T?, IResult?)> read, ContractTerms terms,
        Func<ContractTerms, T?, ContractTerms> with, ref IResult? problem)
    {
        if (problem is not null || sent.ValueKind == JsonValueKind.Undefined) return terms;
        if (sent.ValueKind == JsonValueKind.Null) return with(terms, default);
        var (part, error) = read(sent);
        problem = error;
        return error is null ? with(terms, part) : terms;
    }

    private (Fee? Fee, IResult? Problem) ReadFee(JsonElement fee)
    {
        if (fee.ValueKind != JsonValueKind.Object) return (null, Bad("Invalid fee", "fee must be an object such as {\"amount\": \"1000.00\", \"timing\": \"advance\"}.", "fee"));
        var (amount, problem) = ReadMoney(fee, "fee.amount");
        if (problem is not null) return (null, problem);
        var timing = Text(fee, "timing") ?? "advance";
        FeeTiming? parsed = timing switch { "advance" => FeeTiming.Advance, "arrears" => FeeTiming.Arrears, _ => null };
        return parsed is null
            ? (null, Bad("Invalid fee timing", "fee.timing must be \"advance\" (invoiced at the period's start) or \"arrears\" (at its end).", "fee.timing"))
            : (new Fee(amount!.Value, parsed.Value), null);
    }

    private (Allowance? Allowance, IResult? Problem) ReadAllowance(JsonElement included)
    {
        const string example = "included must be {\"amount\": \"500.00\"} (usage worth that much per period) or " +
                               "{\"quantities\": [{\"meter\": \"input_tokens\", \"model\": \"gpt-4o\", \"quantity\": \"100000000\"}]}.";
        if (included.ValueKind != JsonValueKind.Object) return (null, Bad("Invalid allowance", example, "included"));
        var hasAmount = included.TryGetProperty("amount", out _);
        var hasQuantities = included.TryGetProperty("quantities", out var quantities);
        if (hasAmount == hasQuantities) return (null, Bad("Invalid allowance", example + " Send exactly one of the two.", "included"));
        if (hasAmount)
        {
            var (amount, problem) = ReadMoney(included, "included.amount");
            return problem is null ? (new Allowance(amount, []), null) : (null, problem);
        }
        if (quantities.ValueKind != JsonValueKind.Array || quantities.GetArrayLength() == 0)
            return (null, Bad("Invalid allowance", "included.quantities must be a non-empty list. " + example, "included.quantities"));
        var list = new List<IncludedQuantity>();
        var index = 0;
        foreach (var q in quantities.EnumerateArray())
        {
            var field = $"included.quantities[{index++}]";
            var meter = q.ValueKind == JsonValueKind.Object ? Text(q, "meter") : null;
            if (string.IsNullOrEmpty(meter)) return (null, Bad("Invalid allowance", $"{field}.meter must name a meter, e.g. \"input_tokens\".", $"{field}.meter"));
            if (!q.TryGetProperty("quantity", out var quantity) || !RequestValues.TryDecimalString(quantity, out var value) || value <= 0)
                return (null, Bad("Invalid allowance", $"{field}.quantity must be a decimal string above zero, e.g. \"100000000\".", $"{field}.quantity"));
            var model = Text(q, "model");
            if (list.Any(x => x.Meter == meter && x.Model == model))
                return (null, Bad("Invalid allowance", $"{field} repeats an earlier meter and model; list each once.", field));
            list.Add(new IncludedQuantity(meter, model, value));
        }
        return (new Allowance(null, list), null);
    }

    private (OverageTerms? Overage, IResult? Problem) ReadOverage(JsonElement overage)
    {
        if (overage.ValueKind != JsonValueKind.Object)
            return (null, Bad("Invalid overage terms", "overage must be an object such as {\"discount_percent\": \"10\"} or {\"rules\": {\"gpt-4o\": {\"input\": \"2.00\"}}}.", "overage"));
        var discount = 0m;
        if (overage.TryGetProperty("discount_percent", out var d) && (!RequestValues.TryDecimalString(d, out discount) || discount < 0 || discount > 100))
            return (null, Bad("Invalid overage discount", "overage.discount_percent must be a decimal string from \"0\" to \"100\", e.g. \"12.5\".", "overage.discount_percent"));
        var rates = new Dictionary<string, IReadOnlyDictionary<string, decimal>>();
        if (overage.TryGetProperty("rules", out var rules))
        {
            if (rules.ValueKind != JsonValueKind.Object)
                return (null, Bad("Invalid overage rates", "overage.rules must map rule ids to rates, e.g. {\"gpt-4o\": {\"input\": \"2.00\"}}.", "overage.rules"));
            foreach (var rule in rules.EnumerateObject())
            {
                var replaced = new Dictionary<string, decimal>();
                if (rule.Value.ValueKind != JsonValueKind.Object)
                    return (null, Bad("Invalid overage rates", $"overage.rules.{rule.Name} must map rate names to rates, e.g. {{\"input\": \"2.00\"}}.", $"overage.rules.{rule.Name}"));
                foreach (var rate in rule.Value.EnumerateObject())
                {
                    if (!RequestValues.TryDecimalString(rate.Value, out var value) || value < 0)
                        return (null, Bad("Invalid overage rate", $"overage.rules.{rule.Name}.{rate.Name} must be a non-negative decimal string such as \"2.00\".",
                            $"overage.rules.{rule.Name}.{rate.Name}"));
                    replaced[rate.Name] = value;
                }
                rates[rule.Name] = replaced;
            }
        }
        return (new OverageTerms(discount, rates), null);
    }

    /// <summary>The <c>amount</c> of <paramref name="holder"/> as money in the customer's currency, above zero.</summary>
    private (Money? Money, IResult? Problem) ReadMoney(JsonElement holder, string field)
    {
        var minor = Currency.MinorUnits(currency);
        if (holder.ValueKind != JsonValueKind.Object || !holder.TryGetProperty("amount", out var a) || !RequestValues.TryDecimalString(a, out var amount)
            || amount <= 0 || (amount / 1.0000000000000000000000000000m).Scale > minor)
            return (null, Bad("Invalid amount", $"{field} must be a decimal string above zero in {currency} with at most {minor} decimals, e.g. \"1000.00\".", field));
        return (new Money(amount, currency), null);
    }

    private static string? Text(JsonElement holder, string name) =>
        holder.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static IResult Bad(string title, string detail, string field) => Problems.BadRequest(title, detail, field);
}
