using System.Text.Json;
using Ledger.Tests.Credits;
using Ledger.Tests.Rating;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.RatingProbes;

namespace Ledger.Tests.Invoices;

[Collection(LedgerCollection.Name)]
public sealed class when_the_upcoming_invoice_is_read(LedgerFixture ledger)
{
    private async Task<JsonElement> UpcomingAsync(RatingScenario s)
    {
        var position = await s.PositionAsync();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var invoice = await (await ledger.Client.GetAsync($"/v1/customers/{s.Customer}/invoices/upcoming")).JsonAsync();
            if (invoice.GetProperty("as_of").GetInt64() >= position) return invoice;
            Assert.True(DateTime.UtcNow < deadline, $"the upcoming invoice never reached position {position}: {invoice}");
            await Task.Delay(50);
        }
    }

    /// <summary>The invoice with what differs between runs (customer id, period, ledger position) replaced, for snapshots.</summary>
    private static string Stable(JsonElement invoice)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(invoice.GetRawText())!.AsObject();
        node["customer"] = "(customer)";
        node["period"] = "(the open billing period)";
        node["as_of"] = "(ledger position)";
        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static List<(string?, string?, string?, string?, string)> Lines(JsonElement invoice) => invoice.GetProperty("lines").EnumerateArray()
        .Select(l => (Opt(l, "model"), Opt(l, "mode"), Opt(l, "meter"), Opt(l, "quantity"), l.GetProperty("amount").GetString()!)).ToList();

    private static string? Opt(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    [Fact]
    public async Task the_upcoming_invoice_has_a_line_per_model_mode_and_meter_and_matches_the_usage_endpoint()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(Gpt4oBook());
        await s.PutCustomerAsync();
        var now = DateTimeOffset.UtcNow;
        await s.SendAsync(now, new { model = "gpt-4o", input_tokens = 1_200_000, cached_input_tokens = 400_000, output_tokens = 300_000 }); // 5.50
        await s.SendAsync(now, new { model = "gpt-4o", mode = "batch", input_tokens = 1_000_000, output_tokens = 1_000_000 });           // 6.25

        var invoice = await UpcomingAsync(s);
        Assert.Equal([
            ("gpt-4o", null, "cached_input_tokens", "400000", "-0.50"),
            ("gpt-4o", null, "input_tokens", "1200000", "3.00"),
            ("gpt-4o", null, "output_tokens", "300000", "3.00"),
            ("gpt-4o", "batch", "input_tokens", "1000000", "1.25"),
            ("gpt-4o", "batch", "output_tokens", "1000000", "5.00")], Lines(invoice));
        Assert.Equal(("draft", "11.75", "0.00", "11.75"), (invoice.GetProperty("status").GetString(), invoice.GetProperty("subtotal").GetString(),
            invoice.GetProperty("credits_applied").GetString(), invoice.GetProperty("total").GetString()));
        Assert.Equal("0.0000025", invoice.GetProperty("lines")[1].GetProperty("unit_price").GetString());
        var usage = await ledger.Client.UsageWhenAsync(s.Customer, "", u => u.GetProperty("as_of").GetInt64() >= invoice.GetProperty("as_of").GetInt64());
        Assert.Equal(usage.Total(), invoice.GetProperty("unrounded_total").GetString());
        Snapshooter.Xunit.Snapshot.Match(Stable(invoice));

        var page = await ledger.Client.GetAsync($"/v1/customers/{s.Customer}/invoices/upcoming.html");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = (await page.Content.ReadAsStringAsync()).Replace(s.Customer, "(customer)");
        html = System.Text.RegularExpressions.Regex.Replace(html, @"<dt>Period</dt><dd>[^<]*</dd>", "<dt>Period</dt><dd>(the open billing period)</dd>");
        html = System.Text.RegularExpressions.Regex.Replace(html, @"<dt>Ledger position</dt><dd>\d+</dd>", "<dt>Ledger position</dt><dd>(ledger position)</dd>");
        Snapshooter.Xunit.Snapshot.Match(html, new Snapshooter.SnapshotNameExtension("html"));
    }

    [Fact]
    public async Task under_a_contract_the_draft_covers_its_period_with_a_prorated_fee_line_per_segment()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(RatingScenario.FlatBook("2026-01-01T00:00:00Z", "1.00"));
        await s.PutCustomerAsync();
        var id = $"fees-{s.Customer}";
        var started = await ledger.Client.PostAsync($"/v1/customers/{s.Customer}/contracts", new StringContent(
            $$"""{"id": "{{id}}", "starts_at": "2026-01-01T00:00:00Z", "period": {"kind": "month", "anchor_day": 1}, "fee": {"amount": "1000.00"} }""",
            System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Created, started.StatusCode);
        var today = ledger.Clock.GetCurrentInstant().InUtc().Date;
        var from = new NodaTime.LocalDate(today.Year, today.Month, 1);
        var upgrade = from.PlusDays(10).AtMidnight().InUtc().ToInstant();
        var amended = await ledger.Client.PostAsync($"/v1/contracts/{id}/amendments", new StringContent(
            $$"""{"effective_at": "{{upgrade}}", "fee": {"amount": "1500.00"} }""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Created, amended.StatusCode);

        var invoice = await UpcomingAsync(s);
        var days = (decimal)NodaTime.Period.Between(from, from.PlusMonths(1), NodaTime.PeriodUnits.Days).Days;
        var fees = invoice.GetProperty("lines").EnumerateArray().Where(l => l.GetProperty("kind").GetString() == "fee").ToList();
        Assert.Equal(3, fees.Count);
        // The last is the next period's fee, billed in advance by this period's invoice.
        var next = fees[^1];
        fees.RemoveAt(2);
        Assert.Equal(("1500.00", invoice.GetProperty("period").GetProperty("to").GetString()),
            (next.GetProperty("amount").GetString(), next.GetProperty("segment").GetProperty("from").GetString()));
        string Money(decimal d) => Math.Round(d, 2, MidpointRounding.AwayFromZero).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal([Money(1000m * 10 / days), Money(1500m * (days - 10) / days)], fees.Select(f => f.GetProperty("amount").GetString()));
        Assert.Equal([from.AtMidnight().InUtc().ToInstant().ToString(), upgrade.ToString()],
            fees.Select(f => f.GetProperty("segment").GetProperty("from").GetString()));
        Assert.Equal(from.AtMidnight().InUtc().ToInstant().ToString(), invoice.GetProperty("period").GetProperty("from").GetString());
        Assert.Equal(Money(1000m * 10 / days) is var a && Money(1500m * (days - 10) / days) is var b
            ? (decimal.Parse(a, System.Globalization.CultureInfo.InvariantCulture) + decimal.Parse(b, System.Globalization.CultureInfo.InvariantCulture) + 1500m).ToString("F2", System.Globalization.CultureInfo.InvariantCulture)
            : "", invoice.GetProperty("total").GetString());
    }

    [Fact]
    public async Task each_line_is_rounded_once_and_the_lines_add_up_to_the_total_after_credits()
    {
        var s = new CreditScenario(ledger);
        await s.Rating.PublishAsync(RatingScenario.FlatBook("2026-01-01T00:00:00Z", "1.00"));   // $1 per million input tokens
        await s.Rating.PutCustomerAsync();
        await s.GrantAsync("prepaid", 1m);
        await s.Rating.SendAsync(DateTimeOffset.UtcNow, new { model = "m", input_tokens = 1_234_567 });  // 1.234567
        await s.Rating.SendAsync(DateTimeOffset.UtcNow, new { model = "m", input_tokens = 2_005_000 });  // 2.005

        var invoice = await UpcomingAsync(s.Rating);
        var lines = invoice.GetProperty("lines").EnumerateArray().ToList();
        Assert.Equal(("usage", "3.24", "3.239567"), (lines[0].GetProperty("kind").GetString(), lines[0].GetProperty("amount").GetString(), lines[0].GetProperty("unrounded").GetString()));
        Assert.Equal(("credits", "-1.00"), (lines[1].GetProperty("kind").GetString(), lines[1].GetProperty("amount").GetString()));
        Assert.Equal(("3.24", "-1.00", "2.24", "2.239567"), (invoice.GetProperty("subtotal").GetString(), invoice.GetProperty("credits_applied").GetString(),
            invoice.GetProperty("total").GetString(), invoice.GetProperty("unrounded_total").GetString()));
        Assert.Equal(invoice.GetProperty("total").GetString(),
            lines.Sum(l => decimal.Parse(l.GetProperty("amount").GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToString("F2", System.Globalization.CultureInfo.InvariantCulture));
        Snapshooter.Xunit.Snapshot.Match(Stable(invoice));
    }
}
