using JasperFx.Events.Projections;
using Marten;
using Wolverine;

namespace Ledger.Credits;

/// <summary>Registers the credits feature: its events, the grant snapshot, and the durable queue its scheduled expiry runs on.</summary>
public static class CreditsConfiguration
{
    public const string ScheduleQueue = "credit-schedule";
    public static readonly TimeSpan DefaultSchedulePolling = TimeSpan.FromSeconds(5);

    public static void ConfigureMarten(StoreOptions opts)
    {
        opts.Events.AddEventType<CreditGranted>();
        opts.Events.AddEventType<CreditGrantVoided>();
        opts.Events.AddEventType<CreditGrantExpired>();
        opts.Events.AddEventType<CreditExpiryNoticeSent>();
        opts.Events.AddEventType<CreditsExhausted>();
        opts.Events.AddEventType<AccruedOverageCovered>();
        opts.Events.AddEventType<LowCreditBalance>();
        opts.Events.AddEventType<CreditBreakageRecorded>();
        opts.Events.AddEventType<HoldPlaced>();
        opts.Events.AddEventType<HoldSettled>();
        opts.Events.AddEventType<HoldEnded>();
        opts.Projections.Snapshot<CreditGrant>(SnapshotLifecycle.Inline);
        opts.Schema.For<CreditGrant>().Index(g => g.CustomerId);
    }

    public static void ConfigureWolverine(WolverineOptions opts, IConfiguration configuration)
    {
        // A durable inbox: scheduled expiries and notices wait in PostgreSQL, not in memory, so they survive restarts.
        opts.PublishMessage<ExpireCreditGrant>().ToLocalQueue(ScheduleQueue);
        opts.PublishMessage<SendCreditExpiryNotice>().ToLocalQueue(ScheduleQueue);
        opts.LocalQueue(ScheduleQueue).UseDurableInbox();

        // Ledger:Credits:SchedulePolling: how often due scheduled messages are looked for, i.e. how late an expiry may run.
        // Wolverine has one such interval for all scheduled messages, so the shortest any feature asks for wins.
        var polling = configuration.GetValue("Ledger:Credits:SchedulePolling", DefaultSchedulePolling);
        if (polling <= TimeSpan.Zero)
            throw new InvalidOperationException($"Ledger:Credits:SchedulePolling has {polling}, which is not a positive TimeSpan such as 00:00:05.");
        if (polling < opts.Durability.ScheduledJobPollingTime) opts.Durability.ScheduledJobPollingTime = polling;
    }
}
