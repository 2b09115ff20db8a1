using System.Net;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Access;

[Collection(LedgerCollection.Name)]
public sealed class when_a_customer_read_key_reads_its_own_customer(LedgerFixture ledger)
{
    [Fact]
    public async Task it_reads_its_usage_totals()
    {
        var customer = NewCustomer();
        await ledger.IngestForAsync(customer);
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["customer:read"], customerId: customer)).Key);

        var totals = await client.UsageTotalsOnceProjectedAsync(customer);

        Assert.Equal(customer, totals.GetProperty("id").GetString());
        Assert.Equal(1, totals.GetProperty("events").GetInt64());
    }

    [Fact]
    public async Task it_reads_its_events()
    {
        var customer = NewCustomer();
        var (source, id) = await ledger.IngestForAsync(customer);
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["customer:read"], customerId: customer)).Key);

        var stored = await client.StoredEventAsync(source, id);

        Assert.Equal(customer, stored.GetProperty("event").GetProperty("subject").GetString());
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_a_customer_read_key_reads_another_customer(LedgerFixture ledger)
{
    [Fact]
    public async Task the_usage_totals_are_a_403_problem_whether_or_not_that_customer_exists_with_the_same_body()
    {
        var (mine, other, nobody) = (NewCustomer(), NewCustomer(), NewCustomer());
        await ledger.IngestForAsync(other);
        await ledger.Client.UsageTotalsOnceProjectedAsync(other); // so that a leak would have something to show
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["customer:read"], customerId: mine)).Key);

        var existing = await client.GetAsync(AccessSupport.TotalsPath(other));
        var missing = await client.GetAsync(AccessSupport.TotalsPath(nobody));

        var existingProblem = await AssertProblemAsync(existing, HttpStatusCode.Forbidden);
        var missingProblem = await AssertProblemAsync(missing, HttpStatusCode.Forbidden);
        Assert.Equal(AccessSupport.WithoutTrace(missingProblem), AccessSupport.WithoutTrace(existingProblem));
        Assert.DoesNotContain(other, existingProblem.GetRawText());
    }

    [Fact]
    public async Task an_event_of_that_customer_is_a_404_problem_like_an_event_that_does_not_exist()
    {
        var (mine, other) = (NewCustomer(), NewCustomer());
        var (source, id) = await ledger.IngestForAsync(other);
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["customer:read"], customerId: mine)).Key);

        var othersEvent = await client.GetEventAsync(source, id);
        var noEvent = await client.GetEventAsync(source, "never-sent");

        var othersProblem = await AssertProblemAsync(othersEvent, HttpStatusCode.NotFound);
        var noProblem = await AssertProblemAsync(noEvent, HttpStatusCode.NotFound);
        Assert.Equal(noProblem.GetProperty("title").GetString(), othersProblem.GetProperty("title").GetString());
        Assert.Equal(noProblem.GetProperty("type").GetString(), othersProblem.GetProperty("type").GetString());
        Assert.Equal(AccessSupport.WithoutTrace(noProblem).Keys, AccessSupport.WithoutTrace(othersProblem).Keys);
        Assert.DoesNotContain(other, othersProblem.GetRawText());
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_a_customer_read_key_uses_path_tricks_to_reach_another_customer(LedgerFixture ledger)
{
    private static readonly string[] Tricks =
    [
        "{mine}%2F..%2F{other}",
        "{mine}%2f..%2f{other}",
        "{mine}%252F..%252F{other}",
        "{mine}%2F%2E%2E%2F{other}",
        "{mine}/../{other}",
        "{mine}%2F{other}",
        "%2E%2E%2F{other}",
    ];

    [Fact]
    public async Task each_encoded_path_to_the_other_customers_totals_is_refused_with_403()
    {
        var (mine, other) = (NewCustomer(), NewCustomer());
        await ledger.IngestForAsync(other);
        await ledger.Client.UsageTotalsOnceProjectedAsync(other); // so that a leak would have something to show
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["customer:read"], customerId: mine)).Key);

        var admitted = new List<string>();
        foreach (var trick in Tricks)
        {
            var response = await client.GetAsync($"/v1/customers/{trick.Replace("{mine}", mine).Replace("{other}", other)}/usage-totals");
            if (response.StatusCode != HttpStatusCode.Forbidden)
                admitted.Add($"{trick}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        Assert.True(admitted.Count == 0, string.Join(Environment.NewLine, admitted));
    }

    [Fact]
    public async Task a_key_for_a_customer_whose_id_holds_a_slash_reads_that_customer_and_not_its_parent_or_sibling()
    {
        var org = $"org-{Guid.NewGuid():N}";
        var (mine, sibling) = ($"{org}/team-a", $"{org}/team-b");
        await ledger.IngestForAsync(mine);
        await ledger.IngestForAsync(sibling);
        await ledger.IngestForAsync(org);
        await ledger.Client.UsageTotalsOnceProjectedAsync(sibling);
        await ledger.Client.UsageTotalsOnceProjectedAsync(org);
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["customer:read"], customerId: mine)).Key);

        var own = await client.UsageTotalsOnceProjectedAsync(mine);

        Assert.Equal(mine, own.GetProperty("id").GetString());
        await AssertProblemAsync(await client.GetAsync(AccessSupport.TotalsPath(sibling)), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await client.GetAsync(AccessSupport.TotalsPath(org)), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await client.GetAsync($"/v1/customers/{org}%2Fteam-a%2F..%2Fteam-b/usage-totals"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task a_key_for_a_parent_id_cannot_read_a_customer_whose_id_extends_it_with_a_slash()
    {
        var parent = NewCustomer();
        var child = $"{parent}/child";
        await ledger.IngestForAsync(child);
        await ledger.Client.UsageTotalsOnceProjectedAsync(child);
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["customer:read"], customerId: parent)).Key);

        var response = await client.GetAsync(AccessSupport.TotalsPath(child));

        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
    }
}
