using System.Net;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Usage;

[Collection(LedgerCollection.Name)]
public sealed class when_the_same_events_are_sent_again(LedgerFixture ledger)
{
    [Fact]
    public async Task a_resent_batch_is_reported_as_duplicates_and_nothing_is_stored_twice()
    {
        var source = CloudEvents.NewSource();
        var batch = Enumerable.Range(0, 6).Select(i => CloudEvents.Usage(source, $"evt-{i}")).ToList();
        var first = await AssertReportAsync(await ledger.Client.PostBatchAsync(batch));
        Assert.Equal(6, first.Count("accepted"));

        var again = await AssertReportAsync(await ledger.Client.PostBatchAsync(batch));

        Assert.Equal(0, again.Count("accepted"));
        Assert.Equal(6, again.Count("duplicates"));
        Assert.Equal(0, again.Count("conflicts"));
        Assert.Equal(0, again.Count("rejected"));
        Assert.Equal(6, await ledger.StoredCountAsync(source));
    }

    [Fact]
    public async Task a_resent_single_event_is_a_duplicate_answered_with_200()
    {
        var source = CloudEvents.NewSource();
        var evt = CloudEvents.Usage(source, "evt-1");
        await AssertReportAsync(await ledger.Client.PostAsync(evt, CloudEvents.Single));

        var again = await AssertReportAsync(await ledger.Client.PostAsync(evt, CloudEvents.Single));

        Assert.Equal((0, 1), (again.Count("accepted"), again.Count("duplicates")));
        Assert.Equal(1, await ledger.StoredCountAsync(source));
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_an_event_key_is_reused_with_different_content(LedgerFixture ledger)
{
    [Fact]
    public async Task in_a_batch_it_is_a_conflict_reported_by_index_and_id_and_the_original_is_kept()
    {
        var source = CloudEvents.NewSource();
        await AssertReportAsync(await ledger.Client.PostAsync(CloudEvents.Usage(source, "evt-1", input: 1200), CloudEvents.Single));

        var report = await AssertReportAsync(await ledger.Client.PostBatchAsync(
            [CloudEvents.Usage(source, "evt-2"), CloudEvents.Usage(source, "evt-1", input: 9999)]));

        Assert.Equal(1, report.Count("accepted"));
        Assert.Equal(1, report.Count("conflicts"));
        Assert.Equal(0, report.Count("duplicates"));
        var error = Assert.Single(report.Errors());
        Assert.Equal((1, "evt-1"), (error.Index, error.Id));
        Assert.Contains("evt-1", error.Reason);
        var original = (await ledger.Client.StoredEventAsync(source, "evt-1")).GetProperty("event");
        Assert.Equal(1200, original.GetProperty("data").GetProperty("input_tokens").GetInt32());
        Assert.Equal(2, await ledger.StoredCountAsync(source));
    }

    [Fact]
    public async Task as_a_single_event_it_is_refused_with_a_409_problem_and_the_original_is_kept()
    {
        var source = CloudEvents.NewSource();
        await AssertReportAsync(await ledger.Client.PostAsync(CloudEvents.Usage(source, "evt-1", input: 1200), CloudEvents.Single));

        var problem = await AssertProblemAsync(
            await ledger.Client.PostAsync(CloudEvents.Usage(source, "evt-1", input: 9999), CloudEvents.Single),
            HttpStatusCode.Conflict);

        var error = Assert.Single(problem.Errors());
        Assert.Equal((0, "evt-1"), (error.Index, error.Id));
        var original = (await ledger.Client.StoredEventAsync(source, "evt-1")).GetProperty("event");
        Assert.Equal(1200, original.GetProperty("data").GetProperty("input_tokens").GetInt32());
        Assert.Equal(1, await ledger.StoredCountAsync(source));
    }

    [Fact]
    public async Task twice_in_one_batch_the_first_is_stored_and_the_second_is_a_conflict()
    {
        var source = CloudEvents.NewSource();

        var report = await AssertReportAsync(await ledger.Client.PostBatchAsync(
            [CloudEvents.Usage(source, "evt-1", input: 1), CloudEvents.Usage(source, "evt-1", input: 2)]));

        Assert.Equal((1, 1), (report.Count("accepted"), report.Count("conflicts")));
        Assert.Equal(1, Assert.Single(report.Errors()).Index);
        var stored = (await ledger.Client.StoredEventAsync(source, "evt-1")).GetProperty("event");
        Assert.Equal(1, stored.GetProperty("data").GetProperty("input_tokens").GetInt32());
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_the_same_batch_is_sent_concurrently(LedgerFixture ledger)
{
    [Fact]
    public async Task each_event_is_stored_exactly_once_and_every_response_accounts_for_the_whole_batch()
    {
        const int senders = 16, events = 50;
        var source = CloudEvents.NewSource();
        var batch = Enumerable.Range(0, events).Select(i => CloudEvents.Usage(source, $"evt-{i}")).ToList();
        using var start = new SemaphoreSlim(0);

        var sends = Enumerable.Range(0, senders).Select(async _ =>
        {
            await start.WaitAsync();
            return await ledger.Client.PostBatchAsync(batch);
        }).ToList();
        start.Release(senders);
        var responses = await Task.WhenAll(sends);

        var reports = new List<System.Text.Json.JsonElement>();
        foreach (var response in responses) reports.Add(await AssertReportAsync(response));
        Assert.All(reports, r => Assert.Equal(events, r.Count("accepted") + r.Count("duplicates")));
        Assert.All(reports, r => Assert.Equal(0, r.Count("conflicts")));
        Assert.Equal(events, reports.Sum(r => r.Count("accepted")));
        Assert.Equal(events, await ledger.StoredCountAsync(source));
    }
}
