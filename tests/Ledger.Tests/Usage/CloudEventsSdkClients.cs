using System.Net.Http.Headers;
using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Usage;

/// <summary>A client built on the CNCF CloudEvents SDK posts exactly what the SDK encodes, with the SDK's content type.</summary>
[Collection(LedgerCollection.Name)]
public sealed class when_a_client_uses_the_cloudevents_sdk(LedgerFixture ledger)
{
    private readonly JsonEventFormatter _formatter = new();

    [Fact]
    public async Task a_batch_encoded_by_the_sdk_is_accepted_and_stored()
    {
        var source = $"https://tests.example/sdk/{Guid.NewGuid():N}";
        var customer = NewCustomer();
        var events = new[]
        {
            Usage(source, "sdk-1", customer, new { model = "gpt-4o", input_tokens = 1200, output_tokens = 350 }),
            Usage(source, "sdk-2", customer, JsonDocument.Parse("""{"model":"gpt-4o","input_tokens":7,"gpu_seconds":12.5}""").RootElement),
        };

        var body = _formatter.EncodeBatchModeMessage(events, out var contentType);
        var report = await AssertReportAsync(await PostAsync(body, contentType));

        Assert.Equal(2, report.Count("accepted"));
        var stored = (await ledger.Client.StoredEventAsync(source, "sdk-2")).GetProperty("event");
        Assert.Equal(customer, stored.GetProperty("subject").GetString());
        Assert.Equal(12.5m, stored.GetProperty("data").GetProperty("gpu_seconds").GetDecimal());
        await ledger.Client.StoredEventAsync(source, "sdk-1");
    }

    [Fact]
    public async Task a_single_event_encoded_by_the_sdk_in_structured_mode_is_accepted_and_stored()
    {
        var source = $"https://tests.example/sdk/{Guid.NewGuid():N}";
        var evt = Usage(source, "sdk-1", NewCustomer(), new { model = "gpt-4o", input_tokens = 1200 });

        var body = _formatter.EncodeStructuredModeMessage(evt, out var contentType);
        var report = await AssertReportAsync(await PostAsync(body, contentType));

        Assert.Equal(1, report.Count("accepted"));
        var stored = (await ledger.Client.StoredEventAsync(source, "sdk-1")).GetProperty("event");
        Assert.Equal(1200, stored.GetProperty("data").GetProperty("input_tokens").GetInt32());
    }

    private CloudEvent Usage(string source, string id, string customer, object data) => new(CloudEventsSpecVersion.V1_0)
    {
        Type = "ai.usage",
        Source = new Uri(source),
        Id = id,
        Subject = customer,
        Time = ledger.Clock.GetCurrentInstant().ToDateTimeOffset().AddMinutes(-1),
        DataContentType = "application/json",
        Data = data,
    };

    private Task<HttpResponseMessage> PostAsync(ReadOnlyMemory<byte> body, System.Net.Mime.ContentType contentType)
    {
        var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType.ToString());
        return ledger.Client.PostAsync("/v1/events", content);
    }
}
