using Ledger.Tests.Credits;
using Ledger.Tests.Support;

namespace Ledger.Tests.Revenue;

[Collection(LedgerCollection.Name)]
public sealed class when_finance_reports_deferred_revenue(LedgerFixture ledger)
{
    private readonly JournalScenario _journal = new(ledger);

    [Fact]
    public async Task the_roll_forward_ties_to_the_journal_exactly()
    {
        var s = new CreditScenario(ledger);
        await s.StartAsync();
        await s.GrantAsync("first", 100m, priority: 1);
        await s.GrantAsync("second", 20m, priority: 2);
        await s.UseAsync(105); // 100 from the first, 5 from the second
        await s.VoidAsync("second"); // 15 refunded
        await _journal.PostAsync();
        var month = ledger.Clock.GetCurrentInstant().InUtc().Date.ToString("yyyy-MM", null);

        var report = await _journal.GetAsync($"/v1/reports/deferred-revenue?customer={s.Customer}&from={month}&to={month}");
        var row = Assert.Single(report.GetProperty("periods").EnumerateArray());
        string F(string name) => row.GetProperty(name).GetString()!;
        Assert.Equal(("0.00", "120.00", "105.00", "0.00", "15.00", "0.00"),
            (F("opening"), F("purchases"), F("recognised"), F("breakage"), F("voids"), F("closing")));
        Assert.Equal(-JournalScenario.D(F("closing")), (await _journal.BalancesAsync(s.Customer, month))["contract_liability"]);

        var csv = await (await ledger.Client.GetAsync($"/v1/reports/deferred-revenue?customer={s.Customer}&from={month}&to={month}&format=csv"))
            .Content.ReadAsStringAsync();
        Assert.Equal($"currency,period,opening,purchases,billings,recognised,breakage,voids,closing\nUSD,{month},0.00,120.00,0.00,105.00,0.00,15.00,0.00\n", csv);
    }

    [Fact]
    public async Task over_all_customers_each_closing_is_the_contract_liability_balance()
    {
        var s = new CreditScenario(ledger);
        await s.StartAsync();
        await s.GrantAsync("some", 10m);
        await s.UseAsync(3);
        await _journal.PostAsync();
        var report = await _journal.GetAsync("/v1/reports/deferred-revenue");
        foreach (var row in report.GetProperty("periods").EnumerateArray())
        {
            var balances = await _journal.GetAsync($"/v1/journal/balances?as_of={row.GetProperty("period").GetString()}");
            var currency = balances.GetProperty("currencies").EnumerateArray().Single(c => c.GetProperty("currency").GetString() == row.GetProperty("currency").GetString());
            var liability = currency.GetProperty("accounts").EnumerateArray().SingleOrDefault(a => a.GetProperty("account").GetString() == "contract_liability");
            var balance = liability.ValueKind == System.Text.Json.JsonValueKind.Undefined ? 0m : JournalScenario.D(liability.GetProperty("balance").GetString()!);
            Assert.Equal(-balance, JournalScenario.D(row.GetProperty("closing").GetString()!));
        }
    }

    [Fact]
    public async Task revenue_is_disaggregated_by_period_customer_model_and_type()
    {
        var s = new CreditScenario(ledger);
        await s.StartAsync();
        await s.GrantAsync("paid", 4m, priority: 10);
        var promo = await ledger.Client.PostAsync($"/v1/customers/{s.Customer}/credits", new StringContent(
            """{"amount":"1.00","kind":"promotional","priority":1,"reference":"promo"}""", System.Text.Encoding.UTF8, "application/json"));
        promo.EnsureSuccessStatusCode();
        await s.UseAsync(7); // 1 promotional, 4 purchased, 2 uncovered
        await _journal.PostAsync();
        var month = ledger.Clock.GetCurrentInstant().InUtc().Date.ToString("yyyy-MM", null);

        var csv = await (await ledger.Client.GetAsync($"/v1/reports/revenue?customer={s.Customer}&from={month}&to={month}&format=csv")).Content.ReadAsStringAsync();
        Assert.Equal($"currency,period,customer,model,type,amount\nUSD,{month},{s.Customer},m,promotional_credits,-1.00\nUSD,{month},{s.Customer},m,usage_revenue,7.00\n", csv);
    }
}
