using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ledger.Tests.Support;
using Snapshooter;
using Snapshooter.Xunit;
using static Ledger.Tests.Invoices.InvoiceScenario;

namespace Ledger.Tests.Invoices;

/// <summary>Issued invoices as JSON and HTML, snapshot-tested; what differs between runs (ids, numbers, times of issue, positions) is replaced.</summary>
[Collection(LedgerCollection.Name)]
public sealed class issued_invoice_snapshots(LedgerFixture ledger)
{
    /// <summary>Snapshooter names snapshots from the test method's frame: take the names there, before any await.</summary>
    /// (Asked twice in one test it answers the first name again, so the HTML name is derived from the JSON one.)
    private static (SnapshotFullName Json, SnapshotFullName Html) Names()
    {
        var json = Snapshot.FullName(new SnapshotNameExtension("json"));
        return (json, new SnapshotFullName(json.Filename.Replace("_json.snap", "_html.snap"), json.FolderPath));
    }

    private async Task MatchAsync((SnapshotFullName Json, SnapshotFullName Html) names, InvoiceScenario s, JsonElement invoice, params JsonElement[] earlier)
    {
        var replacements = new List<(string, string)> { (s.Customer, "(customer)"), (S(invoice, "id"), "(invoice id)"), (S(invoice, "number"), "(invoice number)") };
        for (var i = 0; i < earlier.Length; i++)
        {
            replacements.Add((S(earlier[i], "id"), $"(earlier invoice {i + 1} id)"));
            replacements.Add((S(earlier[i], "number"), $"(earlier invoice {i + 1} number)"));
        }
        string Stable(string text) => replacements.Aggregate(text, (t, r) => t.Replace(r.Item1, r.Item2));

        var node = JsonNode.Parse(Stable(invoice.GetRawText()))!.AsObject();
        node["issued_at"] = "(time of issue)";
        node["as_of"] = "(ledger position)";
        Snapshot.Match(node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), names.Json);

        var page = await ledger.Client.GetAsync($"/v1/invoices/{S(invoice, "id")}.html");
        var html = Stable(await page.Content.ReadAsStringAsync());
        html = Regex.Replace(html, @"<dt>Status</dt><dd>issued, [^<]*</dd>", "<dt>Status</dt><dd>issued, (time of issue)</dd>");
        html = Regex.Replace(html, @"<dt>Ledger position</dt><dd>\d+</dd>", "<dt>Ledger position</dt><dd>(ledger position)</dd>");
        Snapshot.Match(html, names.Html);
    }

    [Fact]
    public async Task plain_usage()
    {
        var names = Names();
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-02-03T10:00:00Z", 1_234_567);
        await s.Rating.SendAsync(Rating.RatingScenario.At("2026-02-20T10:00:00Z"), new { model = "m", input_tokens = 2_000_000, output_tokens = 10 });
        await MatchAsync(names, s, await s.IssuedAsync("2026-02-01"));
    }

    [Fact]
    public async Task a_mid_period_upgrade()
    {
        var names = Names();
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        var contract = $"snap-upgrade-{s.Customer}";
        await s.StartContractAsync($$$"""
            {"id": "{{{contract}}}", "starts_at": "2026-04-01T00:00:00Z", "period": {"kind": "month", "anchor_day": 1},
             "fee": {"amount": "300.00", "timing": "advance"}}
            """);
        await ledger.Client.PostAsync($"/v1/contracts/{contract}/amendments", new StringContent(
            """{"effective_at": "2026-04-11T00:00:00Z", "fee": {"amount": "900.00", "timing": "advance"}, "reason": "upgrade to Scale"}""",
            System.Text.Encoding.UTF8, "application/json"));
        await s.UseAsync("2026-04-05T00:00:00Z", 1_000_000);
        await s.UseAsync("2026-04-25T00:00:00Z", 3_000_000);
        await MatchAsync(names, s, await s.IssuedAsync("2026-04-01"));
    }

    [Fact]
    public async Task allowance_and_overage()
    {
        var names = Names();
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        // 500.00 a month includes 5.00 of usage; usage is at 10 % off the book. 3.60 + 4.50 of usage: 5.00 included, 3.10 overage.
        await s.StartContractAsync($$$"""
            {"id": "snap-allowance-{{{s.Customer}}}", "starts_at": "2026-08-01T00:00:00Z", "period": {"kind": "month", "anchor_day": 1},
             "fee": {"amount": "500.00", "timing": "arrears"}, "included": {"amount": "5.00"}, "overage": {"discount_percent": "10"}}
            """);
        await s.UseAsync("2026-08-03T00:00:00Z", 4_000_000);
        await s.UseAsync("2026-08-23T00:00:00Z", 5_000_000);
        var invoice = await s.IssuedAsync("2026-08-01");
        Assert.Equal([("fee", null, "500.00"), ("usage", "9000000", "8.10"), ("allowance", null, "-5.00")], Lines(invoice));
        Assert.Equal(("503.10", "-5.00", "3.10"), (S(invoice, "total"), S(invoice, "allowance_applied"), S(invoice, "overage")));
        await MatchAsync(names, s, invoice);
    }

    [Fact]
    public async Task credits_and_overage()
    {
        var names = Names();
        var c = new Credits.CreditScenario(ledger);
        await c.StartAsync();
        await c.GrantAsync("snap-prepaid", 7.5m);
        await c.Rating.SendAsync(Rating.RatingScenario.At("2026-05-02T00:00:00Z"), new { model = "m", input_tokens = 5 });
        await c.Rating.SendAsync(Rating.RatingScenario.At("2026-05-12T00:00:00Z"), new { model = "m", input_tokens = 6 });
        var s = new InvoiceScenario(ledger, c.Customer);
        await MatchAsync(names, s, await s.IssuedAsync("2026-05-01"));
    }

    [Fact]
    public async Task late_adjustments()
    {
        var names = Names();
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-06-10T00:00:00Z", 1_000_000);
        var june = await s.IssuedAsync("2026-06-01");
        await s.UseAsync("2026-06-29T00:00:00Z", 2_500_000);   // late for June
        await s.UseAsync("2026-07-04T00:00:00Z", 1_000_000);
        await MatchAsync(names, s, await s.IssuedAsync("2026-07-01"), june);
    }

    [Fact]
    public async Task a_dst_month()
    {
        var names = Names();
        var s = new InvoiceScenario(ledger);
        await s.Rating.PublishAsync(Rating.RatingScenario.FlatBook("2026-01-01T00:00:00Z", "1.00"));
        await s.Rating.PutCustomerAsync($$"""{"price_book":"{{s.Rating.Book}}","time_zone":"America/New_York"}""");
        // March 2026 in New York: from 05:00Z on the 1st (EST) to 04:00Z on April 1st (EDT, from March 8th).
        await s.UseAsync("2026-03-01T04:59:59Z", 9_000_000);   // February there, not on this invoice
        await s.UseAsync("2026-03-01T05:00:00Z", 1_000_000);
        await s.UseAsync("2026-04-01T03:59:59Z", 2_000_000);
        var close = await s.CloseAsync("2026-03-01");
        Assert.Equal(System.Net.HttpStatusCode.Conflict, close.StatusCode);   // February (local) holds usage and comes first
        await s.IssuedAsync("2026-02-01");
        await MatchAsync(names, s, await s.IssuedAsync("2026-03-01"));
    }
}
