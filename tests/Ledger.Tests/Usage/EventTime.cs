using Ledger.Tests.Support;
using NodaTime;
using NodaTime.Text;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Usage;

[Collection(LedgerCollection.Name)]
public sealed class when_an_event_arrives_late(LedgerFixture ledger)
{
    [Fact]
    public async Task it_is_accepted_and_keeps_its_usage_time_beside_the_time_the_ledger_recorded_it()
    {
        var source = CloudEvents.NewSource();
        var now = ledger.Clock.GetCurrentInstant();
        var usageAt = now - Duration.FromDays(90);
        var evt = CloudEvents.Usage(source, "evt-late");
        evt["time"] = InstantPattern.ExtendedIso.Format(usageAt);

        var report = await AssertReportAsync(await ledger.Client.PostAsync(evt, CloudEvents.Single));

        Assert.Equal(1, report.Count("accepted"));
        var stored = await ledger.Client.StoredEventAsync(source, "evt-late");
        Assert.Equal(usageAt, InstantPattern.ExtendedIso.Parse(stored.GetProperty("event").GetProperty("time").GetString()!).Value);
        Assert.Equal(now, InstantPattern.ExtendedIso.Parse(stored.GetProperty("ledger").GetProperty("recorded_at").GetString()!).Value);
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_an_event_is_dated_ahead_of_the_ledger_clock(LedgerFixture ledger)
{
    [Fact]
    public async Task four_minutes_ahead_is_accepted_and_six_minutes_ahead_is_rejected_by_the_injected_clock()
    {
        var source = CloudEvents.NewSource();
        var original = ledger.Clock.GetCurrentInstant();
        try
        {
            // an hour ahead of the machine's clock: only the injected clock can make +4 minutes acceptable
            ledger.Clock.Reset(original + Duration.FromHours(1));
            var now = ledger.Clock.GetCurrentInstant();
            var soon = CloudEvents.Usage(source, "evt-4min");
            soon["time"] = InstantPattern.ExtendedIso.Format(now + Duration.FromMinutes(4));
            var tooSoon = CloudEvents.Usage(source, "evt-6min");
            tooSoon["time"] = InstantPattern.ExtendedIso.Format(now + Duration.FromMinutes(6));

            var report = await AssertReportAsync(await ledger.Client.PostBatchAsync([soon, tooSoon]));

            Assert.Equal((1, 1), (report.Count("accepted"), report.Count("rejected")));
            var error = Assert.Single(report.Errors());
            Assert.Equal((1, "evt-6min"), (error.Index, error.Id));
            AssertNamesField("time", error.Reason);
            await ledger.Client.StoredEventAsync(source, "evt-4min");
        }
        finally
        {
            ledger.Clock.Reset(original);
        }
    }
}
