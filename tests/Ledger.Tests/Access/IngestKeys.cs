using System.Net;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Access;

[Collection(LedgerCollection.Name)]
public sealed class when_an_ingest_key_is_restricted_to_one_source(LedgerFixture ledger)
{
    [Fact]
    public async Task an_event_from_that_source_is_accepted()
    {
        var source = CloudEvents.NewSource("allowed");
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["ingest"], sources: [source])).Key);

        var report = await AssertReportAsync(await client.PostAsync(CloudEvents.Usage(source, "evt-1"), CloudEvents.Single));

        Assert.Equal(1, report.Count("accepted"));
        Assert.Equal(1, await ledger.StoredCountAsync(source));
    }

    [Fact]
    public async Task a_batch_mixing_that_source_with_another_is_a_403_problem_and_nothing_of_it_is_stored()
    {
        var (allowed, foreign) = (CloudEvents.NewSource("allowed"), CloudEvents.NewSource("foreign"));
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["ingest"], sources: [allowed])).Key);

        var response = await client.PostBatchAsync([
            CloudEvents.Usage(allowed, "evt-1"), CloudEvents.Usage(foreign, "evt-2"), CloudEvents.Usage(allowed, "evt-3")]);

        var problem = await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains(foreign, problem.GetProperty("detail").GetString());
        Assert.Equal(0, await ledger.StoredCountAsync(allowed));
        Assert.Equal(0, await ledger.StoredCountAsync(foreign));
    }

    [Fact]
    public async Task a_single_event_from_another_source_is_a_403_problem_and_is_not_stored()
    {
        var (allowed, foreign) = (CloudEvents.NewSource("allowed"), CloudEvents.NewSource("foreign"));
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["ingest"], sources: [allowed])).Key);

        var response = await client.PostAsync(CloudEvents.Usage(foreign, "evt-1"), CloudEvents.Single);

        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(0, await ledger.StoredCountAsync(foreign));
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_an_ingest_key_has_no_source_restriction(LedgerFixture ledger)
{
    [Fact]
    public async Task events_from_any_source_are_accepted()
    {
        var (first, second) = (CloudEvents.NewSource("any"), CloudEvents.NewSource("any"));
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["ingest"])).Key);

        var report = await AssertReportAsync(await client.PostBatchAsync([CloudEvents.Usage(first, "evt-1"), CloudEvents.Usage(second, "evt-1")]));

        Assert.Equal(2, report.Count("accepted"));
        Assert.Equal(1, await ledger.StoredCountAsync(first));
        Assert.Equal(1, await ledger.StoredCountAsync(second));
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_a_key_is_used_beyond_its_scope(LedgerFixture ledger)
{
    [Fact]
    public async Task an_ingest_key_reading_usage_totals_is_a_403_problem_naming_the_required_scopes()
    {
        var customer = NewCustomer();
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["ingest"])).Key);

        var response = await client.GetAsync(AccessSupport.TotalsPath(customer));

        var problem = await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("admin", problem.GetProperty("required_scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.DoesNotContain("ingest", problem.GetProperty("required_scopes").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task a_refusal_names_each_scope_that_would_admit_the_key_once()
    {
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["audit:read"])).Key);

        var response = await client.GetAsync("/v1/api-keys");

        var problem = await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(["admin"], problem.GetProperty("required_scopes").EnumerateArray().Select(s => s.GetString()));
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.True(System.Text.RegularExpressions.Regex.Count(detail, @"\badmin\b") == 1, $"detail: {detail}");
    }

    [Fact]
    public async Task a_customer_read_key_ingesting_is_a_403_problem_and_nothing_is_stored()
    {
        var customer = NewCustomer();
        var source = CloudEvents.NewSource();
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["customer:read"], customerId: customer)).Key);

        var response = await client.PostAsync(CloudEvents.Usage(source, "evt-1", customer), CloudEvents.Single);

        var problem = await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("ingest", problem.GetProperty("required_scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(0, await ledger.StoredCountAsync(source));
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_an_event_is_ingested_with_a_key(LedgerFixture ledger)
{
    [Fact]
    public async Task the_stored_event_names_that_keys_id_as_recorded_by()
    {
        var source = CloudEvents.NewSource();
        var key = await ledger.IssueKeyAsync(["ingest"]);
        using var client = ledger.ClientWithKey(key.Key);
        await AssertReportAsync(await client.PostAsync(CloudEvents.Usage(source, "evt-1"), CloudEvents.Single));

        var stored = await ledger.Client.StoredEventAsync(source, "evt-1");

        Assert.Equal(key.Id, stored.GetProperty("ledger").GetProperty("recorded_by").GetString());
    }

    [Fact]
    public async Task each_event_of_a_batch_names_that_keys_id_and_another_keys_events_name_the_other_key()
    {
        var source = CloudEvents.NewSource();
        var (first, second) = (await ledger.IssueKeyAsync(["ingest"]), await ledger.IssueKeyAsync(["ingest"]));
        using (var client = ledger.ClientWithKey(first.Key))
            await AssertReportAsync(await client.PostBatchAsync([CloudEvents.Usage(source, "evt-1"), CloudEvents.Usage(source, "evt-2")]));
        using (var client = ledger.ClientWithKey(second.Key))
            await AssertReportAsync(await client.PostAsync(CloudEvents.Usage(source, "evt-3"), CloudEvents.Single));

        string RecordedBy(System.Text.Json.JsonElement stored) => stored.GetProperty("ledger").GetProperty("recorded_by").GetString()!;
        Assert.Equal(first.Id, RecordedBy(await ledger.Client.StoredEventAsync(source, "evt-1")));
        Assert.Equal(first.Id, RecordedBy(await ledger.Client.StoredEventAsync(source, "evt-2")));
        Assert.Equal(second.Id, RecordedBy(await ledger.Client.StoredEventAsync(source, "evt-3")));
    }
}
