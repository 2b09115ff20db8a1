using System.Text.Json;
using JasperFx.Events;
using NodaTime.Text;
using Ledger.Webhooks;
using Wolverine.Marten.Subscriptions;

namespace Ledger.Credits;

/// <summary>
/// Announces the credit facts the rating projection records (CreditFacts.cs) as webhooks. Like budget
/// alerts, a Marten subscription of its own relays them to Wolverine in log order and remembers its
/// position, so a fact recorded while the ledger was down is announced when it is back. The notice id
/// is the fact's stream key, so a relay that repeats itself still delivers once per endpoint.
/// </summary>
public static class CreditAlerts
{
    public const string Subscription = "credit-alerts";
    public const string Exhausted = "credits.exhausted";
    public const string LowBalance = "credits.low_balance";
    public const string Expired = "credits.expired";
    public const string OverageCovered = "credits.overage_covered";

    public static void Relay(IPublishingRelay relay)
    {
        relay.PublishEvent<CreditsExhausted>((e, bus) => bus.PublishAsync(Notice(e)));
        relay.PublishEvent<LowCreditBalance>((e, bus) => bus.PublishAsync(Notice(e)));
        relay.PublishEvent<CreditBreakageRecorded>((e, bus) => bus.PublishAsync(Notice(e)));
        relay.PublishEvent<AccruedOverageCovered>((e, bus) => bus.PublishAsync(Notice(e)));
    }

    public static WebhookNotice Notice(IEvent<CreditsExhausted> e)
    {
        var f = e.Data;
        return new WebhookNotice(Exhausted, f.CustomerId, e.StreamKey ?? CreditsExhausted.StreamKey(f.CustomerId, f.UsageSequence), Data(new
        {
            customer = f.CustomerId,
            policy = f.Policy.ToString().ToLowerInvariant(),
            uncovered = f.Uncovered.ToExactString(),
            currency = f.Uncovered.Currency,
            usage_sequence = f.UsageSequence,
            ledger_sequence = e.Sequence
        }), f.DetectedAt);
    }

    public static WebhookNotice Notice(IEvent<LowCreditBalance> e)
    {
        var f = e.Data;
        return new WebhookNotice(LowBalance, f.CustomerId, e.StreamKey ?? LowCreditBalance.StreamKey(f.CustomerId, f.LastTopUp, f.Alert), Data(new
        {
            customer = f.CustomerId,
            alert = f.Alert,
            threshold = f.Threshold.ToExactString(),
            remaining = f.Remaining.ToExactString(),
            currency = f.Remaining.Currency,
            last_top_up = f.LastTopUp,
            as_of = f.AsOf,
            ledger_sequence = e.Sequence
        }), f.DetectedAt);
    }

    public static WebhookNotice Notice(IEvent<CreditBreakageRecorded> e)
    {
        var f = e.Data;
        return new WebhookNotice(Expired, f.CustomerId, e.StreamKey ?? CreditBreakageRecorded.StreamKey(f.CustomerId, f.GrantId), Data(new
        {
            customer = f.CustomerId,
            grant = f.GrantId,
            expired = f.Amount.ToExactString(),
            currency = f.Amount.Currency,
            expired_at = InstantPattern.ExtendedIso.Format(f.ExpiredAt),
            as_of = f.AsOf,
            ledger_sequence = e.Sequence
        }), f.ExpiredAt);
    }

    public static WebhookNotice Notice(IEvent<AccruedOverageCovered> e)
    {
        var f = e.Data;
        return new WebhookNotice(OverageCovered, f.CustomerId, e.StreamKey ?? AccruedOverageCovered.StreamKey(f.CustomerId, f.GrantId), Data(new
        {
            customer = f.CustomerId,
            grant = f.GrantId,
            covered = f.Amount.ToExactString(),
            currency = f.Amount.Currency,
            usage_events = f.UsageEvents,
            first_usage = f.FirstUsage,
            last_usage = f.LastUsage,
            grant_sequence = f.GrantSequence,
            ledger_sequence = e.Sequence
        }), f.CoveredAt);
    }

    private static JsonElement Data(object data) => JsonSerializer.SerializeToElement(data);
}
