using System.Net;
using System.Text;
using System.Text.Json;
using Ledger.Rating;
using Ledger.Tests.Support;

namespace Ledger.Tests.Revenue;

/// <summary>Posting runs and reads of the journal through the HTTP API, for one customer at a time.</summary>
public sealed class JournalScenario(LedgerFixture ledger)
{
    /// <summary>Waits until rating has reached every event recorded so far, then runs a posting run; answers the run.</summary>
    public async Task<JsonElement> PostAsync()
    {
        await RatedAsync();
        var response = await ledger.Client.PostAsync("/v1/journal/post", new StringContent("", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"posting answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task RatedAsync()
    {
        await using var max = ledger.Database.CreateCommand("select coalesce(max(seq_id), 0) from ledger.mt_events");
        var position = (long)(await max.ExecuteScalarAsync())!;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await using var cmd = ledger.Database.CreateCommand(RatingProjection.PositionSql);
            if ((long)(await cmd.ExecuteScalarAsync())! >= position) return;
            Assert.True(DateTime.UtcNow < deadline, $"rating never reached position {position}");
            await Task.Delay(25);
        }
    }

    /// <summary>The customer's entries, oldest first (all pages).</summary>
    public async Task<List<Entry>> EntriesAsync(string customer, string query = "")
    {
        var entries = new List<Entry>();
        string? cursor = null;
        do
        {
            var page = await GetAsync($"/v1/journal/entries?customer={Uri.EscapeDataString(customer)}&limit=50{query}" + (cursor is null ? "" : $"&cursor={cursor}"));
            entries.AddRange(page.GetProperty("entries").EnumerateArray().Select(Entry.Of));
            cursor = page.TryGetProperty("next_cursor", out var next) ? next.GetString() : null;
        } while (cursor is not null);
        return entries;
    }

    /// <summary>The customer's balance per account (debits − credits; an account without lines is 0).</summary>
    public async Task<Dictionary<string, decimal>> BalancesAsync(string customer, string? asOf = null)
    {
        var balances = await GetAsync($"/v1/journal/balances?customer={Uri.EscapeDataString(customer)}" + (asOf is null ? "" : $"&as_of={asOf}"));
        var result = Ledger.Revenue.Accounts.All.ToDictionary(a => a, _ => 0m);
        foreach (var currency in balances.GetProperty("currencies").EnumerateArray())
        {
            Assert.Equal(currency.GetProperty("debits").GetString(), currency.GetProperty("credits").GetString());
            foreach (var account in currency.GetProperty("accounts").EnumerateArray())
                result[account.GetProperty("account").GetString()!] = D(account.GetProperty("balance").GetString()!);
        }
        return result;
    }

    public async Task<JsonElement> GetAsync(string path)
    {
        var response = await ledger.Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static decimal D(string s) => decimal.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    public sealed record Entry(long Id, string Kind, string PostingPeriod, string ServiceDate, string? Model, decimal Amount,
        IReadOnlyList<(string Account, decimal Debit, decimal Credit)> Lines, JsonElement Json)
    {
        public static Entry Of(JsonElement e) => new(e.GetProperty("id").GetInt64(), e.GetProperty("kind").GetString()!,
            e.GetProperty("posting_period").GetString()!, e.GetProperty("service_date").GetString()!,
            e.TryGetProperty("model", out var m) ? m.GetString() : null, D(e.GetProperty("amount").GetString()!),
            e.GetProperty("lines").EnumerateArray().Select(l => (l.GetProperty("account").GetString()!, D(l.GetProperty("debit").GetString()!),
                D(l.GetProperty("credit").GetString()!))).ToList(), e);

        /// <summary>(debit account, credit account) of a two-line entry.</summary>
        public (string Debit, string Credit) Pair => (Lines.Single(l => l.Debit > 0).Account, Lines.Single(l => l.Credit > 0).Account);
    }
}
