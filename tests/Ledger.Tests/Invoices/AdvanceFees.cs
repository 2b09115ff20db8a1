using System.Net;
using System.Text;
using System.Text.Json;
using Ledger.Tests.Support;

namespace Ledger.Tests.Invoices;

/// <summary>Fees billed in advance: on the invoice closing the period before, settled at their own period's close.</summary>
[Collection(LedgerCollection.Name)]
public sealed class when_fees_are_billed_in_advance(LedgerFixture ledger)
{
    private static List<(string Kind, string Amount, string? From, string? Timing, string? Adjusts)> Fees(JsonElement invoice) =>
        invoice.GetProperty("lines").EnumerateArray().Where(l => l.GetProperty("kind").GetString() == "fee")
            .Select(l => (l.GetProperty("kind").GetString()!, l.GetProperty("amount").GetString()!,
                l.TryGetProperty("segment", out var s) ? s.GetProperty("from").GetString() : null,
                l.TryGetProperty("timing", out var t) ? t.GetString() : null,
                l.TryGetProperty("adjusts", out var a) ? a.GetProperty("number").GetString() : null))
            .ToList();

    private async Task<InvoiceScenario> StartAsync(string startsAt, string fee = "300.00")
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.StartContractAsync($$$"""
            {"id": "adv-{{{s.Customer}}}", "starts_at": "{{{startsAt}}}", "period": {"kind": "month", "anchor_day": 1},
             "fee": {"amount": "{{{fee}}}", "timing": "advance"}}
            """);
        return s;
    }

    private async Task PostAsync(string path, string json)
    {
        var response = await ledger.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task the_invoice_closing_a_period_bills_the_next_periods_fee_and_not_its_own_again()
    {
        var s = await StartAsync("2026-06-01T00:00:00Z");

        // The calendar month before the contract closes with the first period's fee, before that period's service.
        var may = await s.IssuedAsync("2026-05-01");
        Assert.Equal([("fee", "300.00", "2026-06-01T00:00:00Z", "advance", null)], Fees(may));
        Assert.Equal("300.00", InvoiceScenario.S(may, "total"));

        // June's close: June's fee was billed and still holds, so only July's is billed.
        var june = await s.IssuedAsync("2026-06-01");
        Assert.Equal([("fee", "300.00", "2026-07-01T00:00:00Z", "advance", null)], Fees(june));
        Assert.Equal("300.00", InvoiceScenario.S(june, "total"));
    }

    [Fact]
    public async Task an_upgrade_after_the_fee_was_billed_reverses_it_and_bills_each_segment_at_the_close()
    {
        var s = await StartAsync("2026-08-01T00:00:00Z");
        var july = await s.IssuedAsync("2026-07-01");
        await PostAsync($"/v1/contracts/adv-{s.Customer}/amendments", """{"effective_at": "2026-08-11T00:00:00Z", "fee": {"amount": "900.00", "timing": "advance"}}""");

        var august = await s.IssuedAsync("2026-08-01");
        var number = InvoiceScenario.S(july, "number");
        Assert.Equal([
            ("fee", "-300.00", "2026-08-01T00:00:00Z", "advance", number),    // billed on July's invoice, reversed
            ("fee", "96.77", "2026-08-01T00:00:00Z", "advance", null),        // 300.00 × 10/31
            ("fee", "609.68", "2026-08-11T00:00:00Z", "advance", null),       // 900.00 × 21/31
            ("fee", "900.00", "2026-09-01T00:00:00Z", "advance", null)], Fees(august));
        Assert.Equal("1306.45", InvoiceScenario.S(august, "total"));
        var reversal = august.GetProperty("lines")[0].GetProperty("adjusts");
        Assert.Equal((InvoiceScenario.S(july, "id"), "2026-07-01T00:00:00Z"),
            (reversal.GetProperty("invoice").GetString(), reversal.GetProperty("period").GetProperty("from").GetString()));
    }

    [Fact]
    public async Task a_contract_ended_early_gives_back_the_days_it_no_longer_covers()
    {
        var s = await StartAsync("2026-10-01T00:00:00Z");
        await s.IssuedAsync("2026-09-01");
        await PostAsync($"/v1/contracts/adv-{s.Customer}/end", """{"ends_at": "2026-10-16T00:00:00Z"}""");

        var october = await s.IssuedAsync("2026-10-01");
        Assert.Equal(["-300.00", "145.16"], Fees(october).Select(f => f.Amount)); // 300.00 × 15/31; nothing after the end
        Assert.Equal("-154.84", InvoiceScenario.S(october, "total"));
    }

    [Fact]
    public async Task a_first_period_no_invoice_billed_ahead_is_billed_at_its_own_close()
    {
        var s = await StartAsync("2026-03-01T00:00:00Z");

        var march = await s.IssuedAsync("2026-03-01");
        Assert.Equal([("fee", "300.00", "2026-03-01T00:00:00Z", "advance", null), ("fee", "300.00", "2026-04-01T00:00:00Z", "advance", null)],
            Fees(march));
    }

    [Fact]
    public async Task the_draft_shows_the_next_periods_fee_the_close_will_bill()
    {
        var s = await StartAsync("2026-01-01T00:00:00Z");
        var upcoming = await (await ledger.Client.GetAsync($"/v1/customers/{s.Customer}/invoices/upcoming")).JsonAsync();
        var fees = Fees(upcoming);
        Assert.Equal(2, fees.Count);
        Assert.Equal(upcoming.GetProperty("period").GetProperty("to").GetString(), fees[1].From);
    }
}
