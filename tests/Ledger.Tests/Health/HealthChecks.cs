using System.Net;
using Ledger.Tests.Support;

namespace Ledger.Tests.Health;

[Collection(LedgerCollection.Name)]
public sealed class when_the_ledger_is_running(LedgerFixture ledger)
{
    [Fact]
    public async Task it_answers_live()
    {
        var response = await ledger.Client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("live", (await response.JsonAsync()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task it_answers_ready_with_database_schema_and_projection_daemon_all_ok()
    {
        var response = await ledger.Client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await response.JsonAsync();
        Assert.Equal("ready", report.GetProperty("status").GetString());
        var checks = report.GetProperty("checks").EnumerateObject().ToDictionary(c => c.Name, c => c.Value.GetString());
        Assert.Equal(new Dictionary<string, string?>
        {
            ["database"] = "ok", ["schema"] = "ok", ["projection_daemon"] = "ok"
        }, checks);
    }
}
