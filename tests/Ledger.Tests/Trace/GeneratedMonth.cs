using System.Text;
using System.Text.Json;
using Ledger.Tests.Credits;
using Ledger.Tests.Invoices;
using Ledger.Tests.Revenue;
using Ledger.Tests.Support;
using static Ledger.Tests.Rating.RatingScenario;

namespace Ledger.Tests.Trace;

/// <summary>
/// Issue #6's "done when": on a generated month of usage with credits, amendments, expiry and late events, every journal
/// entry's trace ties at every hop, over every page, and every event traces up to exactly the revenue posted for it.
/// </summary>
[Collection(LedgerCollection.Name)]
public sealed class when_a_generated_month_is_traced(LedgerFixture ledger)
{
    private readonly JournalScenario _journal = new(ledger);
    private readonly TraceProbes _trace = new(ledger);

    [Fact]
    public async Task every_entry_ties_at_every_hop_and_every_event_to_its_revenue()
    {
        var random = new Random(20261127);
        var c = new CreditScenario(ledger); // $1 per input token of model "m"
        await c.StartAsync();
        var s = new InvoiceScenario(ledger, c.Customer);
        await s.StartContractAsync($$$"""
            {"id": "month-{{{c.Customer}}}", "starts_at": "2026-08-01T00:00:00Z", "period": {"kind": "month", "anchor_day": 1},
             "fee": {"amount": "100.00", "timing": "advance"}, "included": {"amount": "40.00"}}
            """);
        await Post($"/v1/contracts/month-{c.Customer}/amendments",
            """{"effective_at": "2026-08-16T00:00:00Z", "fee": {"amount": "150.00", "timing": "advance"}, "included": {"amount": "60.00"}}""");
        await c.GrantAsync("paid", 150m, priority: 2, expiresAt: NodaTime.Instant.FromDateTimeOffset(DateTimeOffset.UtcNow.AddSeconds(8)));
        var promo = await ledger.Client.PostAsync($"/v1/customers/{c.Customer}/credits", new StringContent(
            """{"amount":"20.00","kind":"promotional","priority":1,"reference":"promo"}""", Encoding.UTF8, "application/json"));
        promo.EnsureSuccessStatusCode();

        var ids = new List<string>();
        async Task UseAsync(int n)
        {
            for (var i = 0; i < n; i++)
                ids.Add(await c.Rating.SendAsync(At("2026-08-01T00:00:00Z").AddMinutes(random.Next(0, 31 * 24 * 60)),
                    new { model = "m", input_tokens = random.Next(1, 6) }));
        }
        await UseAsync(60);
        await s.IssuedAsync("2026-07-01");   // August's fee, in advance
        await s.IssuedAsync("2026-08-01");   // August's usage, the fee settled after the amendment, September's fee
        await _journal.PostAsync();
        // The purchased grant expires (real time): its rest is breakage.
        var deadline = DateTime.UtcNow.AddSeconds(40);
        while ((await ledger.Client.CreditsAsync(c.Customer)).GetProperty("grants").EnumerateArray().All(g => S(g, "status") != "expired"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the purchased grant never expired");
            await Task.Delay(200);
        }
        await UseAsync(15);                  // late: adjustments on September's invoice, uncovered now the grant has expired
        await s.IssuedAsync("2026-09-01");
        await _journal.PostAsync();
        await _trace.ChainedAndCheckpointedAsync();

        var entries = await _journal.EntriesAsync(c.Customer);
        Assert.Contains(entries, e => e.Kind == "breakage");
        Assert.Contains(entries, e => e.Kind == "usage_promotional");
        Assert.True(entries.Count(e => e.Kind == "invoice") == 3);
        foreach (var entry in entries)
        {
            var pages = await PagesAsync($"/v1/revenue/entries/{entry.Id}/trace");
            Assert.All(pages, p => Assert.True(p.GetProperty("ties").GetBoolean(), $"entry {entry.Id} ({entry.Kind}) does not tie: {p}"));
            if (pages[0].TryGetProperty("events", out _))
                Assert.Equal(JournalScenario.D(S(pages[0], "parent_amount")), Sum(pages.SelectMany(p => p.GetProperty("events").EnumerateArray()), "share"));
            foreach (var line in pages.Where(p => p.TryGetProperty("lines", out _)).SelectMany(p => p.GetProperty("lines").EnumerateArray()))
                if (line.TryGetProperty("trace", out var trace) && trace.ValueKind == JsonValueKind.String)
                    Assert.All(await PagesAsync(trace.GetString()!), p => Assert.True(p.GetProperty("ties").GetBoolean(), $"line {trace} does not tie: {p}"));
        }
        foreach (var id in ids)
        {
            var e = (await _trace.GetAsync($"/v1/events/{Uri.EscapeDataString(c.Rating.Source)}/{id}/trace")).GetProperty("event");
            Assert.True(e.GetProperty("revenue").GetProperty("ties").GetBoolean(), $"event {id}: {e.GetProperty("revenue")}");
            Assert.Equal("linked", S(e.GetProperty("raw").GetProperty("chain"), "status"));
        }
    }

    /// <summary>Every page of a trace, following next_cursor, in small pages so paging is exercised.</summary>
    private async Task<List<JsonElement>> PagesAsync(string path)
    {
        var pages = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await _trace.GetAsync(path + (path.Contains('?') ? "&" : "?") + "limit=7" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}"));
            pages.Add(page);
            cursor = page.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        } while (cursor is not null);
        return pages;
    }

    private async Task Post(string path, string json)
    {
        var response = await ledger.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private static string S(JsonElement e, string name) => e.GetProperty(name).GetString()!;

    private static decimal Sum(IEnumerable<JsonElement> items, string name) => items.Sum(i => JournalScenario.D(S(i, name)));
}
