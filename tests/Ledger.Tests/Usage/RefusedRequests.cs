using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Usage;

/// <summary>Requests refused as a whole: nothing of them is stored and the ledger carries on.</summary>
[Collection(LedgerCollection.Name)]
public sealed class when_a_request_cannot_be_taken(LedgerFixture ledger)
{
    private const long DefaultMaxBodyBytes = 10 * 1024 * 1024;

    [Fact]
    public async Task invalid_json_is_a_400_problem_naming_the_body_and_nothing_is_stored()
    {
        var source = CloudEvents.NewSource();
        var valid = CloudEvents.Usage(source, "evt-1").ToJsonString();

        var response = await ledger.Client.PostRawAsync($"[{valid}, {{\"id\": ", CloudEvents.Batch);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, field: "body");
        Assert.Equal(0, await ledger.StoredCountAsync(source));
        await ledger.AssertStillLiveAsync();
    }

    [Fact]
    public async Task a_text_plain_body_is_a_415_problem_naming_the_content_type_and_nothing_is_stored()
    {
        var source = CloudEvents.NewSource();

        var response = await ledger.Client.PostAsync(CloudEvents.Usage(source, "evt-1"), "text/plain");

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, field: "Content-Type");
        Assert.Equal(0, await ledger.StoredCountAsync(source));
        await ledger.AssertStillLiveAsync();
    }

    [Fact]
    public async Task binary_content_mode_is_a_415_problem_and_nothing_is_stored()
    {
        var source = CloudEvents.NewSource();
        // a structured event as the body, so that ignoring the ce- headers would store something
        var content = new StringContent(CloudEvents.Usage(source, "evt-1").ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = content };
        request.Headers.Add("ce-specversion", "1.0");
        request.Headers.Add("ce-type", "ai.usage");
        request.Headers.Add("ce-source", source);
        request.Headers.Add("ce-id", "evt-1");

        var response = await ledger.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, field: "Content-Type");
        Assert.Equal(0, await ledger.StoredCountAsync(source));
        await ledger.AssertStillLiveAsync();
    }

    [Fact]
    public async Task a_body_over_the_size_limit_is_a_413_problem_and_nothing_is_stored()
    {
        var source = CloudEvents.NewSource();

        var response = await ledger.Client.PostRawAsync(OversizedEvent(source), CloudEvents.Single);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, field: "body");
        Assert.Equal(0, await ledger.StoredCountAsync(source));
        await ledger.AssertStillLiveAsync();
    }

    [Fact]
    public async Task a_body_over_the_size_limit_sent_without_a_content_length_is_a_413_problem_and_nothing_is_stored()
    {
        var source = CloudEvents.NewSource();
        var content = new UnknownLengthContent(Encoding.UTF8.GetBytes(OversizedEvent(source)));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(CloudEvents.Single);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await ledger.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, field: "body");
        Assert.Equal(0, await ledger.StoredCountAsync(source));
        await ledger.AssertStillLiveAsync();
    }

    [Fact]
    public async Task a_batch_of_more_than_10000_events_is_a_413_problem_and_nothing_is_stored()
    {
        var source = CloudEvents.NewSource();
        var batch = Enumerable.Range(0, 10_001).Select(i => CloudEvents.Usage(source, $"evt-{i}"));

        var response = await ledger.Client.PostBatchAsync(batch);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, field: "body");
        Assert.Equal(0, await ledger.StoredCountAsync(source));
        await ledger.AssertStillLiveAsync();
    }

    [Fact]
    public async Task an_empty_batch_is_a_400_problem_naming_the_body()
    {
        var response = await ledger.Client.PostRawAsync("[]", CloudEvents.Batch);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, field: "body");
        await ledger.AssertStillLiveAsync();
    }

    [Fact]
    public async Task a_single_object_sent_as_a_batch_is_a_400_problem_naming_the_body_and_nothing_is_stored()
    {
        var source = CloudEvents.NewSource();

        var response = await ledger.Client.PostAsync(CloudEvents.Usage(source, "evt-1"), CloudEvents.Batch);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, field: "body");
        Assert.Equal(0, await ledger.StoredCountAsync(source));
        await ledger.AssertStillLiveAsync();
    }

    [Theory]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("\"ai.usage\"")]
    public async Task a_single_json_value_that_is_not_an_event_object_is_a_400_problem(string body)
    {
        var response = await ledger.Client.PostRawAsync(body, CloudEvents.Single);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        await ledger.AssertStillLiveAsync();
    }

    /// <summary>One otherwise valid event whose JSON is just over the default 10 MB limit.</summary>
    private static string OversizedEvent(string source)
    {
        var evt = CloudEvents.Usage(source, "evt-1");
        evt["data"]!["note"] = new string('x', (int)DefaultMaxBodyBytes);
        var json = evt.ToJsonString();
        Assert.True(Encoding.UTF8.GetByteCount(json) > DefaultMaxBodyBytes);
        return json;
    }

    /// <summary>Content whose length is not known up front, so it is streamed (chunked) without Content-Length.</summary>
    private sealed class UnknownLengthContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
