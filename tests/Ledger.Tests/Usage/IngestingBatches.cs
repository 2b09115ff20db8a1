using System.Net;
using System.Text.Json.Nodes;
using Ledger.Tests.Support;
using NodaTime;
using NodaTime.Text;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Usage;

[Collection(LedgerCollection.Name)]
public sealed class when_a_batch_of_valid_events_is_sent(LedgerFixture ledger)
{
    [Fact]
    public async Task all_are_accepted_and_each_can_be_looked_up_by_source_and_id()
    {
        var source = CloudEvents.NewSource();
        var events = Enumerable.Range(1, 7).Select(i => CloudEvents.Usage(source, $"evt-{i}", input: 100 * i)).ToList();

        var report = await AssertReportAsync(await ledger.Client.PostBatchAsync(events));

        Assert.Equal(7, report.Count("accepted"));
        Assert.Equal(0, report.Count("duplicates"));
        Assert.Equal(0, report.Count("conflicts"));
        Assert.Equal(0, report.Count("rejected"));
        Assert.Empty(report.GetProperty("errors").EnumerateArray());
        for (var i = 1; i <= 7; i++)
        {
            var stored = (await ledger.Client.StoredEventAsync(source, $"evt-{i}")).GetProperty("event");
            Assert.Equal(source, stored.GetProperty("source").GetString());
            Assert.Equal($"evt-{i}", stored.GetProperty("id").GetString());
            Assert.Equal(100 * i, stored.GetProperty("data").GetProperty("input_tokens").GetInt32());
        }
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_one_event_is_sent_as_a_json_object(LedgerFixture ledger)
{
    [Theory]
    [InlineData("application/json")]
    [InlineData("application/cloudevents+json")]
    [InlineData("application/cloudevents+json; charset=utf-8")]
    public async Task it_is_accepted_and_stored(string contentType)
    {
        var source = CloudEvents.NewSource();

        var report = await AssertReportAsync(await ledger.Client.PostAsync(CloudEvents.Usage(source, "evt-1"), contentType));

        Assert.Equal(1, report.Count("accepted"));
        Assert.Equal(1, await ledger.StoredCountAsync(source));
        await ledger.Client.StoredEventAsync(source, "evt-1");
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_one_invalid_event_is_sent(LedgerFixture ledger)
{
    [Fact]
    public async Task it_is_refused_with_a_400_problem_whose_error_names_the_field_and_nothing_is_stored()
    {
        var source = CloudEvents.NewSource();
        var evt = CloudEvents.Usage(source, "evt-1");
        evt.Remove("subject");

        var problem = await AssertProblemAsync(
            await ledger.Client.PostAsync(evt, CloudEvents.Single), HttpStatusCode.BadRequest);

        var error = Assert.Single(problem.Errors());
        Assert.Equal((0, "evt-1"), (error.Index, error.Id));
        AssertNamesField("subject", error.Reason);
        AssertNamesField("subject", problem.GetProperty("detail").GetString()!);
        Assert.Equal(0, await ledger.StoredCountAsync(source));
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_a_batch_has_invalid_events(LedgerFixture ledger)
{
    [Fact]
    public async Task the_valid_ones_are_stored_and_each_invalid_event_is_reported_by_index_naming_the_field()
    {
        var source = CloudEvents.NewSource();
        var now = ledger.Clock.GetCurrentInstant();
        JsonObject Valid(int i) => CloudEvents.Usage(source, $"evt-{i}");
        JsonObject With(int i, Action<JsonObject> change)
        {
            var e = Valid(i);
            change(e);
            return e;
        }
        JsonObject Data(JsonObject e) => e["data"]!.AsObject();

        var batch = new List<JsonObject>
        {
            Valid(0),
            With(1, e => e.Remove("id")),
            Valid(2),
            With(3, e => e["source"] = ""),
            With(4, e => e.Remove("subject")),
            With(5, e => e["type"] = "ai.unknown"),
            Valid(6),
            With(7, e => Data(e)["input_tokens"] = -5),
            With(8, e => Data(e)["input_tokens"] = "abc"),
            With(9, e => Data(e)["input_tokens"] = JsonNode.Parse("1e40")),
            With(10, e => e["time"] = InstantPattern.ExtendedIso.Format(now + Duration.FromMinutes(10))),
            With(11, e => e["time"] = "yesterday at noon"),
            Valid(12),
        };
        var expected = new (int Index, string? Id, string Field)[]
        {
            (1, null, "id"), (3, "evt-3", "source"), (4, "evt-4", "subject"), (5, "evt-5", "type"),
            (7, "evt-7", "data.input_tokens"), (8, "evt-8", "data.input_tokens"), (9, "evt-9", "data.input_tokens"),
            (10, "evt-10", "time"), (11, "evt-11", "time"),
        };

        var report = await AssertReportAsync(await ledger.Client.PostBatchAsync(batch));

        Assert.Equal(4, report.Count("accepted"));
        Assert.Equal(expected.Length, report.Count("rejected"));
        Assert.Equal(0, report.Count("conflicts"));
        var errors = report.Errors();
        Assert.Equal(expected.Select(e => (e.Index, e.Id)), errors.Select(e => (e.Index, e.Id)));
        foreach (var (error, want) in errors.Zip(expected))
            AssertNamesField(want.Field, error.Reason);
        Assert.Equal(4, await ledger.StoredCountAsync(source));
        foreach (var i in new[] { 0, 2, 6, 12 })
            await ledger.Client.StoredEventAsync(source, $"evt-{i}");
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_a_batch_is_sent_atomically(LedgerFixture ledger)
{
    [Fact]
    public async Task one_invalid_event_refuses_the_whole_batch_with_400_and_stores_nothing()
    {
        var source = CloudEvents.NewSource();
        var batch = Enumerable.Range(0, 5).Select(i => CloudEvents.Usage(source, $"evt-{i}")).ToList();
        batch[3]["data"]!["input_tokens"] = -1;

        var problem = await AssertProblemAsync(
            await ledger.Client.PostBatchAsync(batch, "?atomic=true"), HttpStatusCode.BadRequest);

        var error = Assert.Single(problem.Errors());
        Assert.Equal((3, "evt-3"), (error.Index, error.Id));
        AssertNamesField("data.input_tokens", error.Reason);
        Assert.Equal(0, await ledger.StoredCountAsync(source));
    }

    [Fact]
    public async Task one_conflicting_event_refuses_the_whole_batch_with_409_and_stores_nothing_new()
    {
        var source = CloudEvents.NewSource();
        await AssertReportAsync(await ledger.Client.PostAsync(CloudEvents.Usage(source, "evt-1", input: 1200), CloudEvents.Single));
        var batch = new[]
        {
            CloudEvents.Usage(source, "evt-0"),
            CloudEvents.Usage(source, "evt-1", input: 9999),
            CloudEvents.Usage(source, "evt-2"),
        };

        var problem = await AssertProblemAsync(
            await ledger.Client.PostBatchAsync(batch, "?atomic=true"), HttpStatusCode.Conflict);

        var error = Assert.Single(problem.Errors());
        Assert.Equal((1, "evt-1"), (error.Index, error.Id));
        Assert.Equal(1, await ledger.StoredCountAsync(source));
        Assert.Equal(HttpStatusCode.NotFound, (await ledger.Client.GetEventAsync(source, "evt-0")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ledger.Client.GetEventAsync(source, "evt-2")).StatusCode);
    }

    [Fact]
    public async Task a_batch_of_valid_events_is_stored_in_full()
    {
        var source = CloudEvents.NewSource();
        var batch = Enumerable.Range(0, 5).Select(i => CloudEvents.Usage(source, $"evt-{i}")).ToList();

        var report = await AssertReportAsync(await ledger.Client.PostBatchAsync(batch, "?atomic=true"));

        Assert.Equal(5, report.Count("accepted"));
        Assert.Equal(5, await ledger.StoredCountAsync(source));
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_the_atomic_flag_is_not_a_boolean(LedgerFixture ledger)
{
    [Fact]
    public async Task it_is_a_400_problem_naming_the_parameter_and_nothing_is_stored()
    {
        var source = CloudEvents.NewSource();
        var response = await ledger.Client.PostBatchAsync([CloudEvents.Usage(source, "evt-1")], "?atomic=yes");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, field: "atomic");
        Assert.Equal(0, await ledger.StoredCountAsync(source));
    }
}
