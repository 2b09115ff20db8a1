using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Tests.Support;
using Ledger.Usage;
using NodaTime;
using NodaTime.Text;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Usage;

/// <summary>Reader-level checks, no host: one event in, one event or one error out.</summary>
internal static class Reader
{
    public static readonly Instant Now = Instant.FromUtc(2026, 11, 27, 10, 0);

    public static JsonObject Valid(string id = "evt-1") =>
        CloudEvents.Usage("//tests/reader", id, "cust-1", Now.ToDateTimeOffset().AddMinutes(-1));

    public static (List<ReadEvent> Events, List<EventError> Errors) Read(JsonNode json) =>
        new CloudEventReader(new IngestOptions()).Read(JsonDocument.Parse(json.ToJsonString()).RootElement, Now);

    public static EventError Refused(Action<JsonObject> change)
    {
        var evt = Valid();
        change(evt);
        var (events, errors) = Read(evt);
        Assert.Empty(events);
        var error = Assert.Single(errors);
        Assert.Equal(0, error.Index);
        return error;
    }

    public static UsageRecorded Accepted(JsonNode json)
    {
        var (events, errors) = Read(json);
        Assert.Empty(errors);
        return Assert.Single(events).Usage;
    }

    public static JsonObject Data(this JsonObject evt) => evt["data"]!.AsObject();
}

public sealed class when_the_reader_meets_an_invalid_event
{
    [Fact]
    public void a_missing_id_is_refused_naming_id()
    {
        var error = Reader.Refused(e => e.Remove("id"));
        Assert.Null(error.Id);
        AssertNamesField("id", error.Reason);
    }

    [Fact]
    public void an_empty_source_is_refused_naming_source()
    {
        var error = Reader.Refused(e => e["source"] = "");
        Assert.Equal("evt-1", error.Id);
        AssertNamesField("source", error.Reason);
    }

    [Fact]
    public void a_missing_subject_is_refused_naming_subject() =>
        AssertNamesField("subject", Reader.Refused(e => e.Remove("subject")).Reason);

    [Fact]
    public void an_unknown_type_is_refused_naming_type_and_the_accepted_types()
    {
        var reason = Reader.Refused(e => e["type"] = "ai.unknown").Reason;
        AssertNamesField("type", reason);
        Assert.Contains("ai.usage", reason);
    }

    [Fact]
    public void a_negative_quantity_is_refused_naming_the_meter() =>
        AssertNamesField("data.input_tokens", Reader.Refused(e => e.Data()["input_tokens"] = -5).Reason);

    [Fact]
    public void a_non_numeric_quantity_is_refused_naming_the_meter() =>
        AssertNamesField("data.input_tokens", Reader.Refused(e => e.Data()["input_tokens"] = "abc").Reason);

    [Fact]
    public void an_overflowing_quantity_is_refused_naming_the_meter() =>
        AssertNamesField("data.input_tokens", Reader.Refused(e => e.Data()["input_tokens"] = JsonNode.Parse("1e40")).Reason);

    [Fact]
    public void a_time_more_than_five_minutes_ahead_is_refused_naming_time() =>
        AssertNamesField("time", Reader.Refused(e =>
            e["time"] = InstantPattern.ExtendedIso.Format(Reader.Now + Duration.FromMinutes(5) + Duration.FromSeconds(1))).Reason);

    [Fact]
    public void an_unparseable_time_is_refused_naming_time() =>
        AssertNamesField("time", Reader.Refused(e => e["time"] = "2026-13-45T25:61:00Z").Reason);

    [Fact]
    public void in_a_batch_only_the_invalid_event_is_refused_at_its_index()
    {
        var bad = Reader.Valid("evt-2");
        bad.Remove("subject");

        var (events, errors) = Reader.Read(new JsonArray(Reader.Valid("evt-1"), bad, Reader.Valid("evt-3")));

        Assert.Equal([0, 2], events.Select(e => e.Index));
        Assert.Equal((1, "evt-2"), (Assert.Single(errors).Index, errors[0].Id));
    }
}

public sealed class when_the_reader_meets_a_valid_event
{
    [Fact]
    public void numbers_in_data_become_decimal_meters_and_strings_become_dimensions()
    {
        var evt = Reader.Valid();
        evt.Data()["gpu_seconds"] = JsonNode.Parse("12.5");

        var usage = Reader.Accepted(evt);

        Assert.Equal(new Dictionary<string, decimal>
        {
            ["input_tokens"] = 1200m, ["output_tokens"] = 350m, ["cached_input_tokens"] = 0m, ["gpu_seconds"] = 12.5m
        }, usage.Meters);
        Assert.Equal(new Dictionary<string, string> { ["model"] = "gpt-4o", ["mode"] = "realtime" }, usage.Dimensions);
        Assert.Equal(("cust-1", "//tests/reader", "evt-1"), (usage.CustomerId, usage.Source, usage.EventId));
        Assert.Equal(Reader.Now, usage.RecordedAt);
    }

    [Fact]
    public void a_time_exactly_five_minutes_ahead_is_accepted()
    {
        var evt = Reader.Valid();
        evt["time"] = InstantPattern.ExtendedIso.Format(Reader.Now + Duration.FromMinutes(5));

        Assert.Equal(Reader.Now + Duration.FromMinutes(5), Reader.Accepted(evt).UsageAt);
    }

    [Fact]
    public void the_largest_decimal_quantity_is_accepted_exactly()
    {
        var evt = Reader.Valid();
        evt.Data()["input_tokens"] = JsonNode.Parse("79228162514264337593543950335");

        Assert.Equal(decimal.MaxValue, Reader.Accepted(evt).Meters["input_tokens"]);
    }
}
