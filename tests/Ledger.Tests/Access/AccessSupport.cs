using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Tests.Support;

namespace Ledger.Tests.Access;

/// <summary>A key as issued by POST /v1/api-keys: its public id and the full key (shown only then).</summary>
public sealed record IssuedKey(string Id, string Key);

/// <summary>Issues keys through the API and reads what the access tests need to look at.</summary>
public static class AccessSupport
{
    public static readonly string[] HttpMethods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

    /// <summary>POST /v1/api-keys with the bootstrap admin key, asserting 201.</summary>
    public static async Task<IssuedKey> IssueKeyAsync(this LedgerFixture ledger, string[] scopes, string? customerId = null,
        string[]? sources = null, int? requestsPerSecond = null, int? eventsPerSecond = null)
    {
        var body = new JsonObject
        {
            ["name"] = $"tests: {string.Join(" ", scopes)}",
            ["scopes"] = new JsonArray(scopes.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
        };
        if (customerId is not null) body["customer_id"] = customerId;
        if (sources is not null) body["sources"] = new JsonArray(sources.Select(s => (JsonNode)JsonValue.Create(s)).ToArray());
        if (requestsPerSecond is not null || eventsPerSecond is not null)
        {
            var limit = new JsonObject();
            if (requestsPerSecond is not null) limit["requests_per_second"] = requestsPerSecond;
            if (eventsPerSecond is not null) limit["events_per_second"] = eventsPerSecond;
            body["rate_limit"] = limit;
        }
        var response = await ledger.Client.PostKeyRequestAsync(body.ToJsonString());
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"issuing a key answered {(int)response.StatusCode}: {text}");
        var issued = JsonDocument.Parse(text).RootElement;
        return new IssuedKey(issued.GetProperty("id").GetString()!, issued.GetProperty("key").GetString()!);
    }

    public static Task<HttpResponseMessage> PostKeyRequestAsync(this HttpClient client, string json) =>
        client.PostAsync("/v1/api-keys", new StringContent(json, Encoding.UTF8, "application/json"));

    /// <summary>The entry of GET /v1/api-keys for one key id (asserting it is listed), and the whole body as text.</summary>
    public static async Task<(JsonElement Entry, string Body)> ListedKeyAsync(this LedgerFixture ledger, string keyId)
    {
        var response = await ledger.Client.GetAsync("/v1/api-keys");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"listing keys answered {(int)response.StatusCode}: {body}");
        var entries = JsonDocument.Parse(body).RootElement.EnumerateArray()
            .Where(k => k.GetProperty("id").GetString() == keyId).ToList();
        Assert.True(entries.Count == 1, $"key {keyId} is listed {entries.Count} times: {body}");
        return (entries[0].Clone(), body);
    }

    public static string TotalsPath(string customer) => $"/v1/customers/{Uri.EscapeDataString(customer)}/usage-totals";

    /// <summary>Ingests one usage event for the customer with the admin key (from a fresh source) and returns its (source, id).</summary>
    public static async Task<(string Source, string Id)> IngestForAsync(this LedgerFixture ledger, string customer)
    {
        var source = CloudEvents.NewSource("access");
        await LedgerProbes.AssertReportAsync(await ledger.Client.PostAsync(CloudEvents.Usage(source, "evt-1", customer), CloudEvents.Single));
        return (source, "evt-1");
    }

    /// <summary>Polls the customer's usage totals with the given client until the projection has caught up.</summary>
    public static async Task<JsonElement> UsageTotalsOnceProjectedAsync(this HttpClient client, string customer, int events = 1, int seconds = 10)
    {
        var clock = Stopwatch.StartNew();
        string last;
        do
        {
            var response = await client.GetAsync(TotalsPath(customer));
            last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var totals = await response.JsonAsync();
                if (totals.GetProperty("events").GetInt64() >= events) return totals;
            }
            await Task.Delay(100);
        } while (clock.Elapsed < TimeSpan.FromSeconds(seconds));
        Assert.Fail($"The usage totals of {customer} did not reach {events} events within {seconds} s; last answer: {last}");
        return default;
    }

    /// <summary>Every (METHOD, path template) under /v1 in the OpenAPI document, fetched without a key.</summary>
    public static async Task<List<(string Method, string Path)>> V1EndpointsAsync(this LedgerFixture ledger)
    {
        using var anonymous = ledger.AnonymousClient();
        var response = await anonymous.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var endpoints = (await response.JsonAsync()).GetProperty("paths").EnumerateObject()
            .Where(path => path.Name.StartsWith("/v1/", StringComparison.Ordinal) || path.Name == "/v1")
            .SelectMany(path => path.Value.EnumerateObject()
                .Where(op => HttpMethods.Contains(op.Name))
                .Select(op => (op.Name.ToUpperInvariant(), path.Name)))
            .OrderBy(e => e.Item2).ThenBy(e => e.Item1)
            .ToList();
        Assert.NotEmpty(endpoints);
        return endpoints;
    }

    /// <summary>Fills a path template with values that need no data to exist.</summary>
    public static string Fill(string template, Func<string, string> valueOf) =>
        System.Text.RegularExpressions.Regex.Replace(template, @"\{(\w+)\}", m => Uri.EscapeDataString(valueOf(m.Groups[1].Value)));

    /// <summary>Problem body minus the per-request parts (trace id, instance), for comparing two refusals.</summary>
    public static SortedDictionary<string, string> WithoutTrace(JsonElement problem) =>
        new(problem.EnumerateObject().Where(p => p.Name is not ("traceId" or "trace_id" or "instance"))
            .ToDictionary(p => p.Name, p => p.Value.GetRawText()));
}
