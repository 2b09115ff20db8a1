using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ledger.Tests.Support;

/// <summary>Price books, customers and usage reads for rating scenarios, through the HTTP API.</summary>
public static class RatingProbes
{
    /// <summary>The gpt-4o price book of the pricing issue (OpenAI-style cached tokens) with its batch rule.</summary>
    public static string Gpt4oBook(string effectiveFrom = "2026-01-01T00:00:00Z", string input = "2.50", bool backdate = false) => $$"""
        { "currency": "USD", "effective_from": "{{effectiveFrom}}", "backdate": {{(backdate ? "true" : "false")}},
          "rules": [
            { "id": "gpt-4o", "match": { "model": "gpt-4o" }, "per": 1000000,
              "rates": { "input": "{{input}}", "cached_input": "1.25", "output": "10.00" },
              "formula": "(input_tokens - cached_input_tokens) * input + cached_input_tokens * cached_input + output_tokens * output" },
            { "id": "gpt-4o-batch", "match": { "model": "gpt-4o", "mode": "batch" }, "per": 1000000,
              "rates": { "input": "1.25", "output": "5.00" } } ] }
        """;

    public static async Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string path, string json)
    {
        var response = await client.PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        return response;
    }

    /// <summary>One usage event with the given meters and dimensions.</summary>
    public static JsonObject Event(string source, string id, string customer, DateTimeOffset time, object data) => new()
    {
        ["specversion"] = "1.0", ["type"] = "ai.usage", ["source"] = source, ["id"] = id, ["subject"] = customer,
        ["time"] = time.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"),
        ["data"] = JsonSerializer.SerializeToNode(data)
    };

    /// <summary>
    /// Polls the usage endpoint until <paramref name="done"/> holds (rating runs in the async daemon,
    /// normally well under a second behind) or fails after <paramref name="seconds"/>.
    /// </summary>
    public static async Task<JsonElement> UsageWhenAsync(this HttpClient client, string customer, string query, Func<JsonElement, bool> done, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            var response = await client.GetAsync($"/v1/customers/{Uri.EscapeDataString(customer)}/usage{query}");
            response.EnsureSuccessStatusCode();
            last = await response.JsonAsync();
            if (done(last)) return last;
            await Task.Delay(100);
        }
        Assert.Fail($"usage of {customer} never satisfied the condition; last: {last}");
        return last;
    }

    public static string Total(this JsonElement usage) => usage.GetProperty("total").GetString()!;
}
