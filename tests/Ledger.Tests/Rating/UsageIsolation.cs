using System.Net;
using Ledger.Tests.Access;
using Ledger.Tests.Support;
using static Ledger.Tests.Rating.RatingScenario;
using static Ledger.Tests.Support.LedgerProbes;
using static Ledger.Tests.Support.RatingProbes;

namespace Ledger.Tests.Rating;

[Collection(LedgerCollection.Name)]
public sealed class when_a_customer_read_key_reads_usage_in_money(LedgerFixture ledger)
{
    private const string November = "?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z";

    private async Task<RatingScenario> CustomerWithUsageAsync()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(FlatBook("2026-01-01T00:00:00Z", "2.00"));
        await s.PutCustomerAsync();
        await s.SendAsync(At("2026-11-10T10:00:00Z"), new { model = "m", input_tokens = 1_000_000 });
        await ledger.Client.UsageWhenAsync(s.Customer, November, u => u.Total() == "2.00");
        return s;
    }

    [Fact]
    public async Task it_reads_its_own_customers_usage()
    {
        var mine = await CustomerWithUsageAsync();
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["customer:read"], customerId: mine.Customer)).Key);

        var response = await client.GetAsync($"/v1/customers/{mine.Customer}/usage{November}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("2.00", (await response.JsonAsync()).Total());
    }

    [Fact]
    public async Task another_customers_usage_is_a_403_problem_that_shows_none_of_it()
    {
        var other = await CustomerWithUsageAsync();
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["customer:read"], customerId: NewCustomer())).Key);

        var response = await client.GetAsync($"/v1/customers/{other.Customer}/usage{November}");

        var problem = await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.DoesNotContain("2.00", problem.GetRawText());
    }
}
