using System.Text.Json.Nodes;
using CsCheck;
using Ledger.Usage;
using NodaTime;

namespace Ledger.Tests.Usage;

public sealed class when_an_event_key_becomes_an_event_id
{
    [Fact]
    public void the_same_source_and_id_always_give_the_same_event_id() =>
        Assert.Equal(EventKey.ToEventId("//tests/key", "evt-1"), EventKey.ToEventId("//tests/key", "evt-1"));

    [Fact]
    public void a_different_source_or_a_different_id_gives_a_different_event_id()
    {
        var id = EventKey.ToEventId("//tests/key", "evt-1");
        Assert.NotEqual(id, EventKey.ToEventId("//tests/other", "evt-1"));
        Assert.NotEqual(id, EventKey.ToEventId("//tests/key", "evt-2"));
    }

    [Fact]
    public void moving_a_slash_between_source_and_id_gives_a_different_event_id() =>
        Assert.NotEqual(EventKey.ToEventId("a/b", "c"), EventKey.ToEventId("a", "b/c"));

    [Fact]
    public void the_event_id_is_a_version_8_rfc_variant_uuid()
    {
        var text = EventKey.ToEventId("//tests/key", "evt-1").ToString();
        Assert.Equal('8', text[14]);
        Assert.Contains(text[19], "89ab");
    }
}

public sealed class when_content_is_hashed
{
    private const string Event = """
        {"specversion":"1.0","type":"ai.usage","source":"//tests/hash","id":"evt-1","subject":"cust-1",
         "time":"2026-01-01T00:00:00Z","data":{"model":"gpt-4o","input_tokens":1200,"output_tokens":350}}
        """;

    private static readonly Instant Now = Instant.FromUtc(2026, 11, 27, 10, 0);

    private static string HashOf(string json) => HashOf(JsonNode.Parse(json)!);

    private static string HashOf(JsonNode json)
    {
        var (events, errors) = new CloudEventReader(new IngestOptions())
            .Read(System.Text.Json.JsonDocument.Parse(json.ToJsonString()).RootElement, Now);
        Assert.Empty(errors);
        return Assert.Single(events).Usage.ContentHash;
    }

    private static JsonObject Changed(Action<JsonObject> change)
    {
        var evt = JsonNode.Parse(Event)!.AsObject();
        change(evt);
        return evt;
    }

    [Fact]
    public void field_order_does_not_change_the_hash() =>
        Assert.Equal(HashOf(Event), HashOf("""
            {"data":{"output_tokens":350,"input_tokens":1200,"model":"gpt-4o"},"time":"2026-01-01T00:00:00Z",
             "subject":"cust-1","id":"evt-1","source":"//tests/hash","type":"ai.usage","specversion":"1.0"}
            """));

    [Fact]
    public void trailing_zeros_of_a_quantity_do_not_change_the_hash() =>
        Assert.Equal(HashOf(Event), HashOf(Changed(e => e["data"]!["input_tokens"] = JsonNode.Parse("1200.0"))));

    [Fact]
    public void the_time_zone_offset_of_the_same_instant_does_not_change_the_hash() =>
        Assert.Equal(HashOf(Event), HashOf(Changed(e => e["time"] = "2026-01-01T01:00:00+01:00")));

    [Fact]
    public void a_different_meter_value_changes_the_hash() =>
        Assert.NotEqual(HashOf(Event), HashOf(Changed(e => e["data"]!["input_tokens"] = 1201)));

    [Fact]
    public void a_different_dimension_value_changes_the_hash() =>
        Assert.NotEqual(HashOf(Event), HashOf(Changed(e => e["data"]!["model"] = "gpt-4o-mini")));

    [Fact]
    public void a_different_usage_time_changes_the_hash() =>
        Assert.NotEqual(HashOf(Event), HashOf(Changed(e => e["time"] = "2026-01-01T00:00:01Z")));

    /// <summary>Non-negative quantities of up to 18 digits, 0 to 9 of them after the decimal point.</summary>
    private static readonly Gen<decimal> Quantity =
        Gen.Select(Gen.Long[0, 999_999_999_999_999_999], Gen.Byte[0, 9],
            (digits, scale) => new decimal((int)(digits & 0xFFFF_FFFF), (int)(digits >> 32), 0, false, scale));

    /// <summary>Random meter maps: 1 to 20 distinct names with random quantities.</summary>
    private static readonly Gen<(string Name, decimal Quantity)[]> Meters =
        Gen.Select(Gen.Int[0, 999], Quantity).Array[1, 20]
            .Select(meters => meters.DistinctBy(m => m.Item1).Select(m => ($"m{m.Item1}_tokens", m.Item2)).ToArray());

    private static string Hash(IEnumerable<(string Name, decimal Quantity)> meters) =>
        CloudEventReader.ContentHash("ai.usage", "cust-1", Now, meters.ToDictionary(m => m.Name, m => m.Quantity),
            new Dictionary<string, string> { ["model"] = "gpt-4o" }, null);

    [Fact]
    public void for_any_meter_map_the_hash_does_not_depend_on_insertion_order() =>
        Gen.Select(Meters, Gen.Int).Sample((meters, seed) =>
        {
            var shuffled = meters.ToArray();
            new Random(seed).Shuffle(shuffled);
            return Hash(meters) == Hash(shuffled) && Hash(meters) == Hash(meters.Reverse());
        });

    [Fact]
    public void for_any_meter_map_the_hash_does_not_depend_on_the_scale_quantities_are_written_with() =>
        Meters.Sample(meters => Hash(meters) == Hash(meters.Select(m => (m.Name, m.Quantity * 1.000m))));

    [Fact]
    public void for_any_meter_map_changing_one_quantity_changes_the_hash() =>
        Gen.Select(Meters, Gen.Int[0, 19]).Sample((meters, pick) =>
        {
            var changed = meters.ToArray();
            var i = pick % changed.Length;
            changed[i] = (changed[i].Name, changed[i].Quantity + 1m);
            return Hash(meters) != Hash(changed);
        });
}
