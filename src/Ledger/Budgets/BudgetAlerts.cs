using System.Text.Json;
using JasperFx.Events;
using Ledger.Webhooks;
using Wolverine;
using Wolverine.Marten.Subscriptions;

namespace Ledger.Budgets;

/// <summary>
/// Announces each recorded <see cref="BudgetThresholdCrossed"/> as a <c>budget.threshold_crossed</c>
/// webhook. A Marten subscription relays the events to Wolverine in log order and remembers its
/// position, so every crossing is announced, also one recorded while the ledger was down.
/// </summary>
public static class BudgetAlerts
{
    public const string Subscription = "budget-alerts";
    public const string WebhookType = "budget.threshold_crossed";

    public static void Relay(IPublishingRelay relay) =>
        relay.PublishEvent<BudgetThresholdCrossed>((e, bus) => bus.PublishAsync(Notice(e)));

    public static WebhookNotice Notice(IEvent<BudgetThresholdCrossed> e)
    {
        var crossed = e.Data;
        var data = JsonSerializer.SerializeToElement(new
        {
            customer = crossed.CustomerId,
            threshold = crossed.Threshold,
            budget = crossed.Budget.ToString(),
            spend = crossed.Spend.ToExactString(),
            currency = crossed.Budget.Currency,
            period = new { from = crossed.PeriodFrom.ToString(), to = crossed.PeriodTo.ToString() },
            as_of = crossed.AsOf,
            ledger_sequence = e.Sequence
        });
        return new WebhookNotice(WebhookType, crossed.CustomerId, e.StreamKey ?? BudgetThresholdCrossed.StreamKey(crossed.CustomerId, crossed.PeriodFrom, crossed.Threshold),
            data, crossed.DetectedAt);
    }
}
