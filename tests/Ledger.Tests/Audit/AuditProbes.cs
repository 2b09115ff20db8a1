using System.Text.Json;
using Ledger.Tests.Support;
using Npgsql;

namespace Ledger.Tests.Audit;

public static class AuditProbes
{
    /// <summary>The ledger sequences of a source's events, in order.</summary>
    public static async Task<List<long>> SequencesAsync(NpgsqlDataSource db, string source)
    {
        await using var cmd = db.CreateCommand("select seq_id from ledger.mt_events where data ->> 'source' = $1 order by seq_id");
        cmd.Parameters.Add(new() { Value = source });
        var list = new List<long>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) list.Add(reader.GetInt64(0));
        return list;
    }

    /// <summary>Waits (20 s at most) until the chain head has reached <paramref name="sequence"/>.</summary>
    public static async Task WaitForChainAsync(NpgsqlDataSource db, long sequence)
    {
        for (var i = 0; i < 200; i++)
        {
            await using var cmd = db.CreateCommand("select seq from ledger.event_chain_head");
            if ((long)(await cmd.ExecuteScalarAsync())! >= sequence) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"The chain head did not reach sequence {sequence} in 20 s.");
    }

    public static async Task<JsonElement> VerifyAsync(this HttpClient client, string query = "")
    {
        var response = await client.GetAsync("/v1/audit/verify" + query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"verify answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
