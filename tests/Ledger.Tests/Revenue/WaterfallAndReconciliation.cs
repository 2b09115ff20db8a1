using System.Text.Json;
using Ledger.Tests.Credits;
using Ledger.Tests.Invoices;
using Ledger.Tests.Support;

namespace Ledger.Tests.Revenue;

[Collection(LedgerCollection.Name)]
public sealed class when_finance_reads_the_waterfall_and_the_billing_reconciliation(LedgerFixture ledger)
{
    private readonly JournalScenario _journal = new(ledger);
    private string Month => ledger.Clock.GetCurrentInstant().InUtc().Date.ToString("yyyy-MM", null);

    private async Task<CreditScenario> CreditsUsedAndVoidedAsync()
    {
        var s = new CreditScenario(ledger);
        await s.StartAsync();
        await s.GrantAsync("first", 100m, priority: 1);
        await s.GrantAsync("second", 20m, priority: 2);
        await s.UseAsync(105); // 100 from the first, 5 from the second
        await s.VoidAsync("second"); // 15 refunded
        await s.UseAsync(3);   // uncovered: earned, not billed
        await _journal.PostAsync();
        return s;
    }

    [Fact]
    public async Task the_waterfall_rows_are_bookings_and_their_columns_the_months_they_are_recognised_in()
    {
        var s = await CreditsUsedAndVoidedAsync();

        var view = await _journal.GetAsync($"/v1/reports/revenue-waterfall?customer={s.Customer}");
        Assert.True(view.GetProperty("rows").GetArrayLength() == 1, view.ToString());
        var row = view.GetProperty("rows")[0];
        Assert.Equal(("USD", Month, "120.00", "105.00", "15.00", "0.00"),
            (S(row, "currency"), S(row, "booked_in"), S(row, "booked"), row.GetProperty("recognised").GetProperty(Month).GetString(), S(row, "voided"), S(row, "deferred")));

        var csv = await (await ledger.Client.GetAsync($"/v1/reports/revenue-waterfall?customer={s.Customer}&format=csv")).Content.ReadAsStringAsync();
        Assert.Equal($"currency,booked_in,booked,{Month},voided,deferred\nUSD,{Month},120.00,105.00,15.00,0.00\n", csv);
    }

    [Fact]
    public async Task a_fee_billed_in_advance_is_booked_by_its_invoice_and_recognised_over_its_days()
    {
        var today = ledger.Clock.GetCurrentInstant().InUtc().Date;
        var start = today.PlusDays(-1);
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.StartContractAsync($$$"""
            {"id": "wf-{{{s.Customer}}}", "starts_at": "{{{start:yyyy-MM-dd}}}T00:00:00Z", "period": {"kind": "month", "anchor_day": {{{start.Day}}}},
             "fee": {"amount": "310.00", "timing": "advance"}}
            """);
        await s.IssuedAsync($"{(start.Day == 1 ? start.PlusMonths(-1) : start.With(NodaTime.DateAdjusters.StartOfMonth)):yyyy-MM-dd}");
        await _journal.PostAsync();

        var ahead = (await _journal.EntriesAsync(s.Customer)).Where(e => e.Kind == "subscription_fee_advance").ToList();
        var row = Assert.Single((await _journal.GetAsync($"/v1/reports/revenue-waterfall?customer={s.Customer}")).GetProperty("rows").EnumerateArray());
        Assert.Equal((Month, ahead.Sum(d => d.Amount), "0.00"), (S(row, "booked_in"), JournalScenario.D(S(row, "booked")), S(row, "deferred")));
        var byMonth = ahead.GroupBy(d => d.PostingPeriod).ToDictionary(g => g.Key, g => g.Sum(d => d.Amount));
        Assert.Equal(byMonth, row.GetProperty("recognised").EnumerateObject().ToDictionary(p => p.Name, p => JournalScenario.D(p.Value.GetString()!)));
    }

    [Fact]
    public async Task over_all_customers_what_is_still_deferred_is_the_contract_liability()
    {
        await CreditsUsedAndVoidedAsync();
        var c = new CreditScenario(ledger);
        await c.StartAsync();
        await c.GrantAsync("open", 50m);
        await c.UseAsync(20);
        await _journal.PostAsync();

        var rows = (await _journal.GetAsync("/v1/reports/revenue-waterfall")).GetProperty("rows").EnumerateArray().ToList();
        var balances = await _journal.GetAsync("/v1/journal/balances");
        foreach (var currency in balances.GetProperty("currencies").EnumerateArray())
        {
            var code = currency.GetProperty("currency").GetString();
            var liability = currency.GetProperty("accounts").EnumerateArray().Where(a => a.GetProperty("account").GetString() == "contract_liability")
                .Sum(a => JournalScenario.D(a.GetProperty("balance").GetString()!));
            Assert.Equal(-liability, rows.Where(r => S(r, "currency") == code).Sum(r => JournalScenario.D(S(r, "deferred"))));
        }
    }

    [Fact]
    public async Task billed_differs_from_recognised_exactly_by_unbilled_deferred_and_refunded_movements()
    {
        var s = await CreditsUsedAndVoidedAsync();

        var row = Assert.Single((await _journal.GetAsync($"/v1/reports/billed-vs-recognised?customer={s.Customer}&from={Month}&to={Month}"))
            .GetProperty("rows").EnumerateArray());
        // Billed 120.00 of credit; recognised 105.00 from it and 3.00 not yet invoiced; 15.00 refunded.
        Assert.Equal(("120.00", "108.00", "3.00", "0.00", "15.00"),
            (S(row, "billed"), S(row, "recognised"), S(row, "unbilled_change"), S(row, "deferred_change"), S(row, "credit_notes")));
        var csv = await (await ledger.Client.GetAsync($"/v1/reports/billed-vs-recognised?customer={s.Customer}&format=csv")).Content.ReadAsStringAsync();
        Assert.Equal($"currency,customer,period,billed,recognised,unbilled_change,deferred_change,credit_notes\nUSD,{s.Customer},{Month},120.00,108.00,3.00,0.00,15.00\n", csv);
    }

    private static string S(JsonElement e, string name) => e.GetProperty(name).GetString()!;
}
