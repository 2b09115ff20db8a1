using System.Net;
using Ledger.Tests.Support;

namespace Ledger.Tests.Hosting;

[Collection(LedgerCollection.Name)]
public sealed class when_the_openapi_document_is_requested(LedgerFixture ledger)
{
    [Fact]
    public async Task it_is_served_and_lists_the_ingestion_lookup_and_health_paths()
    {
        var response = await ledger.Client.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var paths = (await response.JsonAsync()).GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/v1/events", paths);
        Assert.Contains("/v1/events/{source}/{id}", paths);
        Assert.Contains("/health/live", paths);
        Assert.Contains("/health/ready", paths);
    }
}
