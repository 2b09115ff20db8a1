using System.Text.Json;
using Ledger.Hosting;

namespace Ledger.Credits;

/// <summary>A low-balance alert as sent: exactly one of an amount or a fraction of the last top-up, as decimal strings.</summary>
public sealed record LowBalanceAlertRequest(JsonElement? Amount, JsonElement? FractionOfLastTopUp);

/// <summary>
/// The <c>credits</c> part of PUT /v1/customers/{id}: policy "overage" or "block", and low-balance alerts.
/// A key left out keeps its current value (a new customer: overage, no alerts).
/// </summary>
public sealed record CreditTermsRequest(string? Policy, List<LowBalanceAlertRequest>? LowBalanceAlerts)
{
    /// <summary>The terms this request makes of <paramref name="current"/>, or a 400 problem naming the field at fault.</summary>
    public (CreditTerms?, IResult?) Read(CreditTerms current, string currency)
    {
        CreditPolicy? policy = Policy switch
        {
            null => current.Policy,
            "overage" => CreditPolicy.Overage,
            "block" => CreditPolicy.Block,
            _ => null
        };
        if (policy is null)
            return (null, Problems.BadRequest("Invalid credit policy",
                "credits.policy must be \"overage\" (usage the credits do not cover is billed) or \"block\" (spend checks refuse it).", "credits.policy"));
        if (LowBalanceAlerts is null) return (current with { Policy = policy.Value }, null);

        var alerts = new List<LowBalanceAlert>();
        for (var i = 0; i < LowBalanceAlerts.Count; i++)
        {
            var (alert, problem) = ReadAlert(LowBalanceAlerts[i], $"credits.low_balance_alerts[{i}]", currency);
            if (problem is not null) return (null, problem);
            if (alerts.Any(a => a.Name == alert!.Name))
                return (null, Problems.BadRequest("Duplicate low-balance alert",
                    $"credits.low_balance_alerts[{i}] repeats an earlier alert; each threshold alerts once, so list it once.", $"credits.low_balance_alerts[{i}]"));
            alerts.Add(alert!);
        }
        return (new CreditTerms(policy.Value, alerts), null);
    }

    private static (LowBalanceAlert?, IResult?) ReadAlert(LowBalanceAlertRequest? request, string field, string currency)
    {
        var amount = Given(request?.Amount);
        var fraction = Given(request?.FractionOfLastTopUp);
        if (amount is null == fraction is null)
            return (null, Problems.BadRequest("Invalid low-balance alert",
                $"{field} must have exactly one of amount (e.g. {{\"amount\": \"10.00\"}}) or fraction_of_last_top_up (e.g. {{\"fraction_of_last_top_up\": \"0.25\"}}).", field));
        if (amount is { } a)
        {
            var minor = Kernel.Currency.MinorUnits(currency);
            if (!RequestValues.TryDecimalString(a, out var value) || value <= 0 || Decimals(value) > minor)
                return (null, Problems.BadRequest("Invalid low-balance amount",
                    $"{field}.amount must be a decimal string greater than zero with at most {minor} decimals ({currency}), e.g. \"10.00\".", $"{field}.amount"));
            return (new LowBalanceAlert(value, null), null);
        }
        if (!RequestValues.TryDecimalString(fraction!.Value, out var f) || f <= 0 || f > 1)
            return (null, Problems.BadRequest("Invalid low-balance fraction",
                $"{field}.fraction_of_last_top_up must be a decimal string above 0 and at most 1, e.g. \"0.25\" for a quarter of the last top-up.",
                $"{field}.fraction_of_last_top_up"));
        return (new LowBalanceAlert(null, f), null);
    }

    private static JsonElement? Given(JsonElement? value) => value is { ValueKind: not JsonValueKind.Null } v ? v : null;

    /// <summary>Significant decimals: "10.50" has one, "10.00" none.</summary>
    public static int Decimals(decimal d) => (d / 1.0000000000000000000000000000m).Scale;
}

/// <summary>Credit terms as the API shows them; amounts and fractions as decimal strings.</summary>
public sealed record CreditTermsView(string Policy, IReadOnlyList<LowBalanceAlertView> LowBalanceAlerts)
{
    public static CreditTermsView Of(CreditTerms terms, string currency) => new(terms.Policy.ToString().ToLowerInvariant(),
        terms.LowBalanceAlerts.Select(a => new LowBalanceAlertView(
            a.Amount is { } amount ? new Kernel.Money(amount, currency).ToExactString() : null,
            a.FractionOfLastTopUp is { } f ? (f / 1.0000000000000000000000000000m).ToString(System.Globalization.CultureInfo.InvariantCulture) : null)).ToList());
}

/// <summary>One of the two is set.</summary>
public sealed record LowBalanceAlertView(string? Amount, string? FractionOfLastTopUp);
