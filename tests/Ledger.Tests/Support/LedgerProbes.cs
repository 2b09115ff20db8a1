using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;

namespace Ledger.Tests.Support;

/// <summary>Looks at the ledger from outside: its HTTP answers and, for storage facts, its database.</summary>
public static class LedgerProbes
{
    /// <summary>How many events the event store holds for a source (counted in the database itself).</summary>
    public static async Task<long> StoredCountAsync(this LedgerFixture ledger, string source)
    {
        await using var cmd = ledger.Database.CreateCommand(
            "select count(*) from ledger.mt_events where data ->> 'source' = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = source });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    public static Task<HttpResponseMessage> GetEventAsync(this HttpClient client, string source, string id) =>
        client.GetAsync($"/v1/events/{Uri.EscapeDataString(source)}/{Uri.EscapeDataString(id)}");

    /// <summary>GET /v1/events/{source}/{id}, asserting it is found; the whole body (event and ledger metadata).</summary>
    public static async Task<JsonElement> StoredEventAsync(this HttpClient client, string source, string id)
    {
        var response = await client.GetEventAsync(source, id);
        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"GET of ({source}, {id}) answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.JsonAsync();
    }

    /// <summary>Asserts an RFC 7807 answer: status, media type, title, detail and (when given) the field at fault.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? field = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()), body);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()), body);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        if (field is not null) Assert.Equal(field, problem.GetProperty("field").GetString());
        return problem;
    }

    /// <summary>Asserts a 200 ingest report and returns it.</summary>
    public static async Task<JsonElement> AssertReportAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static int Count(this JsonElement report, string name) => report.GetProperty(name).GetInt32();

    /// <summary>The (index, id, reason) of each entry of an <c>errors</c> array.</summary>
    public static List<(int Index, string? Id, string Reason)> Errors(this JsonElement body) =>
        body.GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("index").GetInt32(),
                e.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null,
                e.GetProperty("reason").GetString()!))
            .ToList();

    /// <summary>Asserts the text names <paramref name="field"/> as a word of its own (so "id" is not found in "valid").</summary>
    public static void AssertNamesField(string field, string reason) =>
        Assert.Matches(new Regex($@"(?<![\w.]){Regex.Escape(field)}(?!\w)"), reason);

    public static async Task AssertStillLiveAsync(this LedgerFixture ledger)
    {
        var response = await ledger.Client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public static string NewCustomer() => $"cust-{Guid.NewGuid():N}";
}
