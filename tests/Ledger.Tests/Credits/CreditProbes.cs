using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Ledger.Tests.Support;
using Npgsql;

namespace Ledger.Tests.Credits;

/// <summary>Customers, grants and voids through the HTTP API, and what the event log holds for a grant.</summary>
public static class CreditProbes
{
    public static string CreditsPath(string customer) => $"/v1/customers/{Uri.EscapeDataString(customer)}/credits";

    public static async Task<string> NewCustomerAsync(this HttpClient client, string json = "{}")
    {
        var customer = LedgerProbes.NewCustomer();
        var response = await client.PutAsync($"/v1/customers/{customer}", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return customer;
    }

    public static Task<HttpResponseMessage> GrantAsync(this HttpClient client, string customer, string json) =>
        client.PostAsync(CreditsPath(customer), new StringContent(json, Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> VoidAsync(this HttpClient client, string customer, string grant, string json = """{"reason":"refund"}""") =>
        client.PostAsync($"{CreditsPath(customer)}/{Uri.EscapeDataString(grant)}/void", new StringContent(json, Encoding.UTF8, "application/json"));

    public static async Task<JsonElement> CreditsAsync(this HttpClient client, string customer)
    {
        var response = await client.GetAsync(CreditsPath(customer));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET credits answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Polls GET .../credits until the grant has the status, or fails after <paramref name="seconds"/>.</summary>
    public static async Task<JsonElement> GrantWhenAsync(this HttpClient client, string customer, string grant, string status, int seconds = 15)
    {
        var clock = Stopwatch.StartNew();
        JsonElement last;
        do
        {
            last = (await client.CreditsAsync(customer)).GetProperty("grants").EnumerateArray().Single(g => g.GetProperty("id").GetString() == grant);
            if (last.GetProperty("status").GetString() == status) return last;
            await Task.Delay(100);
        } while (clock.Elapsed < TimeSpan.FromSeconds(seconds));
        Assert.Fail($"grant {grant} of {customer} was not {status} within {seconds} s; last: {last}");
        return last;
    }

    /// <summary>The .NET type names of the events in a stream, oldest first (counted in the database itself).</summary>
    public static async Task<List<string>> StreamEventsAsync(NpgsqlDataSource db, string streamKey)
    {
        await using var cmd = db.CreateCommand("select type from ledger.mt_events where stream_id = $1 order by version");
        cmd.Parameters.Add(new NpgsqlParameter { Value = streamKey });
        var types = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) types.Add(reader.GetString(0));
        return types;
    }

    public static string GrantStream(string customer, string grant) => $"credit-grant/{customer}/{grant}";

    /// <summary>An RFC 3339 instant <paramref name="fromNow"/> after the real now (scheduled messages run on real time).</summary>
    public static string InRealTime(TimeSpan fromNow) => (DateTimeOffset.UtcNow + fromNow).ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
}
