using System.Net;
using Ledger.Tests.Support;

namespace Ledger.Tests.Usage;

[Collection(LedgerCollection.Name)]
public sealed class when_one_usage_event_is_sent(LedgerFixture ledger)
{
    [Fact]
    public async Task it_is_accepted_and_can_be_looked_up_with_its_ledger_metadata()
    {
        var source = CloudEvents.NewSource();
        var response = await ledger.Client.PostAsync(CloudEvents.Usage(source, "evt-1"), CloudEvents.Single);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await response.JsonAsync();
        Assert.Equal(1, report.GetProperty("accepted").GetInt32());
        Assert.Equal(0, report.GetProperty("duplicates").GetInt32());

        var stored = await (await ledger.Client.GetAsync($"/v1/events/{Uri.EscapeDataString(source)}/evt-1")).JsonAsync();
        Assert.Equal("evt-1", stored.GetProperty("event").GetProperty("id").GetString());
        Assert.Equal(1200, stored.GetProperty("event").GetProperty("data").GetProperty("input_tokens").GetInt32());
        Assert.True(stored.GetProperty("ledger").GetProperty("sequence").GetInt64() > 0);
    }
}
