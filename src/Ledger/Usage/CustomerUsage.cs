using JasperFx.Events;
using Marten.Events.Projections;
using NodaTime;

namespace Ledger.Usage;

/// <summary>
/// Raw usage totals per customer (quantities, not money): what support looks at first in a dispute
/// ("what did we receive for this customer, and up to when?"). Rebuilt exactly from the event log.
/// </summary>
public sealed class CustomerUsage
{
    public string Id { get; set; } = "";
    public long Events { get; set; }
    public Instant? FirstUsageAt { get; set; }
    public Instant? LastUsageAt { get; set; }
    public Instant? LastRecordedAt { get; set; }
    public long LastSequence { get; set; }
    public Dictionary<string, decimal> Meters { get; set; } = new();
}

/// <summary>Runs in the async daemon, so ingestion never waits for it.</summary>
public sealed partial class CustomerUsageProjection : MultiStreamProjection<CustomerUsage, string>
{
    public CustomerUsageProjection()
    {
        Identity<UsageRecorded>(e => e.CustomerId);
        // Larger pages mean fewer document writes per event (one per customer per page), and the
        // cache spares re-reading a customer's document for every page (docs/performance.md).
        Options.BatchSize = 5_000;
        Options.CacheLimitPerTenant = 10_000;
    }

    public static void Apply(IEvent<UsageRecorded> e, CustomerUsage view)
    {
        var usage = e.Data;
        view.Id = usage.CustomerId;
        view.Events++;
        if (view.FirstUsageAt is null || usage.UsageAt < view.FirstUsageAt) view.FirstUsageAt = usage.UsageAt;
        if (view.LastUsageAt is null || usage.UsageAt > view.LastUsageAt) view.LastUsageAt = usage.UsageAt;
        view.LastRecordedAt = usage.RecordedAt;
        view.LastSequence = e.Sequence;
        foreach (var (meter, quantity) in usage.Meters)
            view.Meters[meter] = view.Meters.GetValueOrDefault(meter) + quantity;
    }
}
