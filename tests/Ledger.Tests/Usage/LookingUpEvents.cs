using System.Net;
using System.Text.Json.Nodes;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Usage;

[Collection(LedgerCollection.Name)]
public sealed class when_an_unknown_event_is_looked_up(LedgerFixture ledger)
{
    [Fact]
    public async Task it_is_a_404_problem()
    {
        var response = await ledger.Client.GetEventAsync(CloudEvents.NewSource(), "never-sent");

        await AssertProblemAsync(response, HttpStatusCode.NotFound);
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_an_event_carries_extensions_dimensions_and_extra_meters(LedgerFixture ledger)
{
    [Fact]
    public async Task all_of_them_are_kept_and_given_back_on_lookup()
    {
        var source = CloudEvents.NewSource();
        var evt = CloudEvents.Usage(source, "evt-rich");
        evt["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        evt["region"] = "eu-west-1";
        var data = evt["data"]!.AsObject();
        data["region"] = "eu";
        data["tier"] = "enterprise";
        data["project"] = "proj-42";
        data["images"] = 3;
        data["gpu_seconds"] = JsonNode.Parse("12.5");

        await AssertReportAsync(await ledger.Client.PostAsync(evt, CloudEvents.Single));

        var stored = (await ledger.Client.StoredEventAsync(source, "evt-rich")).GetProperty("event");
        Assert.Equal("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", stored.GetProperty("traceparent").GetString());
        Assert.Equal("eu-west-1", stored.GetProperty("region").GetString());
        var storedData = stored.GetProperty("data");
        Assert.Equal("eu", storedData.GetProperty("region").GetString());
        Assert.Equal("enterprise", storedData.GetProperty("tier").GetString());
        Assert.Equal("proj-42", storedData.GetProperty("project").GetString());
        Assert.Equal("gpt-4o", storedData.GetProperty("model").GetString());
        Assert.Equal(3m, storedData.GetProperty("images").GetDecimal());
        Assert.Equal(12.5m, storedData.GetProperty("gpu_seconds").GetDecimal());
        Assert.Equal(1200m, storedData.GetProperty("input_tokens").GetDecimal());
    }

    [Fact]
    public async Task number_and_boolean_extensions_keep_their_json_type()
    {
        var source = CloudEvents.NewSource();
        var evt = CloudEvents.Usage(source, "evt-typed");
        evt["sampled"] = 1;
        evt["retried"] = true;

        await AssertReportAsync(await ledger.Client.PostAsync(evt, CloudEvents.Single));

        var stored = (await ledger.Client.StoredEventAsync(source, "evt-typed")).GetProperty("event");
        Assert.Equal(System.Text.Json.JsonValueKind.Number, stored.GetProperty("sampled").ValueKind);
        Assert.Equal(1, stored.GetProperty("sampled").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.True, stored.GetProperty("retried").ValueKind);
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_an_event_key_holds_reserved_or_percent_encoded_characters(LedgerFixture ledger)
{
    [Fact]
    public async Task an_event_whose_source_is_a_uri_with_percent_encoding_can_be_looked_up()
    {
        var source = $"https://tests.example/usage%20reports/{Guid.NewGuid():N}";
        await AssertReportAsync(await ledger.Client.PostAsync(CloudEvents.Usage(source, "evt-1"), CloudEvents.Single));

        var stored = (await ledger.Client.StoredEventAsync(source, "evt-1")).GetProperty("event");

        Assert.Equal(source, stored.GetProperty("source").GetString());
    }

    [Fact]
    public async Task an_event_whose_id_holds_a_percent_sign_can_be_looked_up()
    {
        var source = CloudEvents.NewSource();
        await AssertReportAsync(await ledger.Client.PostAsync(CloudEvents.Usage(source, "50%41off"), CloudEvents.Single));

        var stored = (await ledger.Client.StoredEventAsync(source, "50%41off")).GetProperty("event");

        Assert.Equal("50%41off", stored.GetProperty("id").GetString());
    }

    [Fact]
    public async Task an_event_whose_id_holds_spaces_slashes_and_unicode_can_be_looked_up()
    {
        var source = CloudEvents.NewSource();
        const string id = "run 7/step:3 ✓";
        await AssertReportAsync(await ledger.Client.PostAsync(CloudEvents.Usage(source, id), CloudEvents.Single));

        var stored = (await ledger.Client.StoredEventAsync(source, id)).GetProperty("event");

        Assert.Equal(id, stored.GetProperty("id").GetString());
    }
}
