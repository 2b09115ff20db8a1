using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ledger.Tests.Support;

/// <summary>Builds usage CloudEvents and posts them the way a client would.</summary>
public static class CloudEvents
{
    public const string Single = "application/cloudevents+json";
    public const string Batch = "application/cloudevents-batch+json";

    /// <summary>
    /// "Now" for event times: the ledger's clock once the fixture runs. That clock stands still for the whole run, so
    /// events stamped with the machine's clock would pass the ledger's five-minute limit for future times in a run
    /// longer than five minutes (the million-event reconciliation alone takes about four).
    /// </summary>
    public static Func<DateTimeOffset> Now { get; set; } = () => DateTimeOffset.UtcNow;

    /// <summary>A fresh source per test keeps tests independent on the shared database.</summary>
    public static string NewSource(string name = "test") => $"//tests/{name}/{Guid.NewGuid():N}";

    public static JsonObject Usage(string source, string id, string customer = "acme", DateTimeOffset? time = null,
        int input = 1200, int output = 350, string model = "gpt-4o") => new()
    {
        ["specversion"] = "1.0",
        ["type"] = "ai.usage",
        ["source"] = source,
        ["id"] = id,
        ["subject"] = customer,
        ["time"] = (time ?? Now().AddMinutes(-1)).ToString("yyyy-MM-ddTHH:mm:ss.fffZ"),
        ["data"] = new JsonObject
        {
            ["model"] = model, ["mode"] = "realtime",
            ["input_tokens"] = input, ["output_tokens"] = output, ["cached_input_tokens"] = 0
        }
    };

    public static Task<HttpResponseMessage> PostAsync(this HttpClient client, JsonNode body, string contentType, string query = "") =>
        client.PostRawAsync(body.ToJsonString(), contentType, query);

    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string body, string contentType, string query = "")
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return client.PostAsync("/v1/events" + query, content);
    }

    public static Task<HttpResponseMessage> PostBatchAsync(this HttpClient client, IEnumerable<JsonObject> events, string query = "") =>
        client.PostAsync(new JsonArray(events.Select(e => (JsonNode)e.DeepClone()).ToArray()), Batch, query);

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
