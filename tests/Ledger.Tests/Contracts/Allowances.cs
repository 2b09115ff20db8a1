using Ledger.Contracts;
using Ledger.Customers;
using Ledger.Tests.Support;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using static Ledger.Tests.Rating.RatingScenario;

namespace Ledger.Tests.Contracts;

/// <summary>
/// A contract's included money allowance pays the usage of its segment first, in ledger order, then prepaid credits,
/// then the rest is uncovered (docs/invoicing.md#allowance-credits-and-overage). April 2026 has 30 days.
/// </summary>
[Collection(LedgerCollection.Name)]
public sealed class when_usage_draws_a_contract_allowance(LedgerFixture ledger)
{
    private async Task<ContractScenario> StartAsync(string terms, string contractStart = "2026-04-01T00:00:00Z", string? credits = null)
    {
        var s = new ContractScenario(ledger);
        await s.StartAsync(credits);
        await s.StartContractAsync(contractStart, terms);
        return s;
    }

    private static (decimal Allowance, decimal Credits, decimal Uncovered) Paid(ContractScenario.Payment p) => (p.Allowance, p.Credits, p.Uncovered);

    [Fact]
    public async Task allowance_is_drawn_before_credits()
    {
        var s = await StartAsync(""" "included": {"amount": "10.00"} """);
        await s.Credits.GrantAsync("prepaid", 100m);

        await s.UseAtAsync("2026-04-05T00:00:00Z", 4);
        await s.UseAtAsync("2026-04-06T00:00:00Z", 8);

        var payments = await s.PaymentsAsync();
        Assert.Equal([(4m, 0m, 0m), (6m, 2m, 0m)], payments.Select(Paid));
        Assert.Equal(new Dictionary<string, decimal> { [s.Allowance("2026-04-01T00:00:00Z")] = 6m }, payments[1].Allowances);
        Assert.Equal("98.00", (await s.Credits.BalanceAsync()).GetProperty("credits_remaining").GetString());
        Assert.Equal((10.00m, 10m), (await s.AllowancesAsync())[s.Allowance("2026-04-01T00:00:00Z")]);
    }

    [Fact]
    public async Task usage_beyond_allowance_draws_credits_then_is_uncovered()
    {
        var s = await StartAsync(""" "included": {"amount": "10.00"} """);
        await s.Credits.GrantAsync("prepaid", 5m);

        await s.UseAtAsync("2026-04-05T00:00:00Z", 18);
        await s.UseAtAsync("2026-04-06T00:00:00Z", 1);

        var payments = await s.PaymentsAsync();
        Assert.Equal([(10m, 5m, 3m), (0m, 0m, 1m)], payments.Select(Paid));
        Assert.All(payments, p => Assert.Equal(p.Amount, p.Allowance + p.Credits + p.Uncovered));
    }

    [Fact]
    public async Task allowance_is_prorated_per_segment_with_largest_remainder()
    {
        // Two amendments that change only the fee cut April into three 10-day segments under one allowance: 33.34 + 33.33 + 33.33.
        var s = await StartAsync(""" "included": {"amount": "100.00"}, "fee": {"amount": "300.00"} """);
        await s.AmendAsync("2026-04-11T00:00:00Z", """ "fee": {"amount": "310.00"} """);
        await s.AmendAsync("2026-04-21T00:00:00Z", """ "fee": {"amount": "320.00"} """);

        await s.UseAtAsync("2026-04-05T00:00:00Z", 50);
        await s.UseAtAsync("2026-04-15T00:00:00Z", 50);
        await s.UseAtAsync("2026-04-25T00:00:00Z", 40);

        Assert.Equal([(33.34m, 0m, 16.66m), (33.33m, 0m, 16.67m), (33.33m, 0m, 6.67m)], (await s.PaymentsAsync()).Select(Paid));
        Assert.Equal(new Dictionary<string, (decimal, decimal)>
        {
            [s.Allowance("2026-04-01T00:00:00Z")] = (33.34m, 33.34m),
            [s.Allowance("2026-04-11T00:00:00Z")] = (33.33m, 33.33m),
            [s.Allowance("2026-04-21T00:00:00Z")] = (33.33m, 33.33m),
        }, await s.AllowancesAsync());
    }

    [Fact]
    public async Task late_usage_draws_its_own_periods_allowance()
    {
        var s = await StartAsync(""" "included": {"amount": "10.00"} """, contractStart: "2026-03-01T00:00:00Z");

        await s.UseAtAsync("2026-04-05T00:00:00Z", 10);   // April's allowance, all of it
        await s.UseAtAsync("2026-03-20T00:00:00Z", 6);    // arrives later, but happened in March: March's allowance
        await s.UseAtAsync("2026-04-06T00:00:00Z", 3);    // April's is used up

        var payments = await s.PaymentsAsync();
        Assert.Equal([(10m, 0m, 0m), (6m, 0m, 0m), (0m, 0m, 3m)], payments.Select(Paid));
        Assert.Equal([s.Allowance("2026-04-01T00:00:00Z"), s.Allowance("2026-03-01T00:00:00Z")], payments.Take(2).Select(p => p.Allowances.Keys.Single()));
    }

    [Fact]
    public async Task amendment_recorded_after_usage_redraws_the_period()
    {
        var s = await StartAsync(""" "included": {"amount": "30.00"} """);
        await s.Credits.GrantAsync("prepaid", 100m);
        await s.UseAtAsync("2026-04-02T00:00:00Z", 20);
        await s.UseAtAsync("2026-04-25T00:00:00Z", 5);
        Assert.Equal([(20m, 0m, 0m), (5m, 0m, 0m)], (await s.PaymentsAsync()).Select(Paid));

        // From April 11 the allowance is 60.00 a month: April 1-11 keeps 10/30 of 30.00, April 11-May 1 gets 20/30 of 60.00.
        await s.AmendAsync("2026-04-11T00:00:00Z", """ "included": {"amount": "60.00"} """);

        var payments = await s.PaymentsAsync();
        Assert.Equal([(10m, 10m, 0m), (5m, 0m, 0m)], payments.Select(Paid));
        Assert.Equal(new Dictionary<string, decimal> { [s.Allowance("2026-04-01T00:00:00Z")] = 10m }, payments[0].Allowances);
        Assert.Equal(new Dictionary<string, decimal> { [s.Allowance("2026-04-11T00:00:00Z")] = 5m }, payments[1].Allowances);
        Assert.Equal(new Dictionary<string, (decimal, decimal)>
        {
            [s.Allowance("2026-04-01T00:00:00Z")] = (10.00m, 10m),
            [s.Allowance("2026-04-11T00:00:00Z")] = (40.00m, 5m),
        }, await s.AllowancesAsync());
        Assert.Equal("90.00", (await s.Credits.BalanceAsync()).GetProperty("credits_remaining").GetString());
    }

    [Fact]
    public async Task ending_the_contract_mid_period_cuts_its_allowance_and_redraws()
    {
        var s = await StartAsync(""" "included": {"amount": "30.00"}, "overage": {"discount_percent": "10"} """);
        await s.UseAtAsync("2026-04-05T00:00:00Z", 20);   // 18.00, all from the allowance
        await s.UseAtAsync("2026-04-20T00:00:00Z", 10);   // 9.00, all from the allowance

        await s.EndAsync("2026-04-11T00:00:00Z");

        var payments = await s.PaymentsAsync();
        Assert.Equal([(18m, s.ContractId), (10m, null)], payments.Select(p => (p.Amount, p.Contract)));
        Assert.Equal([(10m, 0m, 8m), (0m, 0m, 10m)], payments.Select(Paid));
        Assert.Equal(new Dictionary<string, (decimal, decimal)> { [s.Allowance("2026-04-01T00:00:00Z")] = (10.00m, 10m) }, await s.AllowancesAsync());
    }

    [Fact]
    public async Task a_lower_price_redraws_the_allowance_in_ledger_order()
    {
        var s = await StartAsync(""" "included": {"amount": "10.00"} """);
        await s.UseAtAsync("2026-04-05T00:00:00Z", 10);
        await s.UseAtAsync("2026-04-06T00:00:00Z", 10);
        Assert.Equal([(10m, 0m, 0m), (0m, 0m, 10m)], (await s.PaymentsAsync()).Select(Paid));

        // Half the price from before all usage: 5 + 5, and the allowance pays both, as if it had been so all along.
        await s.Rating.PublishAsync(FlatBook("2026-02-01T00:00:00Z", "0.50", per: "1"));

        Assert.Equal([(5m, 0m, 0m), (5m, 0m, 0m)], (await s.PaymentsAsync()).Select(Paid));
    }

    [Fact]
    public async Task a_price_change_from_a_month_start_redraws_the_whole_contract_period_it_falls_in()
    {
        // Periods from the 15th: a price change from April 1 rates usage from April 1 again, and March 15-April 15 is paid again in ledger order.
        var s = new ContractScenario(ledger);
        await s.StartAsync();
        await s.StartContractAsync("2026-02-15T00:00:00Z", """ "period": {"kind": "month", "anchor_day": 15}, "included": {"amount": "10.00"} """);
        await s.UseAtAsync("2026-04-05T00:00:00Z", 10);   // the allowance of March 15-April 15, all of it
        await s.UseAtAsync("2026-03-20T00:00:00Z", 10);   // nothing left
        Assert.Equal([(10m, 0m, 0m), (0m, 0m, 10m)], (await s.PaymentsAsync()).Select(Paid));

        await s.Rating.PublishAsync(FlatBook("2026-04-01T00:00:00Z", "0.50", per: "1"));

        Assert.Equal([(5m, 5m, 0m, 0m), (10m, 5m, 0m, 5m)], (await s.PaymentsAsync()).Select(p => (p.Amount, p.Allowance, p.Credits, p.Uncovered)));
        Assert.Equal(new Dictionary<string, (decimal, decimal)> { [s.Allowance("2026-03-15T00:00:00Z")] = (10.00m, 10m) }, await s.AllowancesAsync());
    }

    [Fact]
    public async Task allowance_is_not_in_the_credit_balance()
    {
        // In the open billing period (this calendar month), so the balance's period figures and top-up covering apply.
        var now = ledger.Clock.GetCurrentInstant().InUtc().Date;
        var month = new LocalDate(now.Year, now.Month, 1).AtMidnight().InUtc().ToInstant();
        var s = await StartAsync(""" "included": {"amount": "10.00"} """, contractStart: month.ToString(),
            credits: """{"low_balance_alerts": [{"amount": "4.00"}]}""");
        await s.Credits.GrantAsync("prepaid", 5m);

        await s.Credits.UseAsync(3);    // allowance 3
        var balance = await s.Credits.BalanceAsync();
        // Shown beside the credit, on its own, and counted in what spend checks allow.
        Assert.Equal(("5.00", "0.00", "7.00", "12.00"), (balance.GetProperty("credits_remaining").GetString(), balance.GetProperty("overage_accrued").GetString(),
            balance.GetProperty("allowance_remaining").GetString(), balance.GetProperty("available").GetString()));
        Assert.Equal(new Dictionary<string, string> { ["prepaid"] = "5.00" }, Ledger.Tests.Credits.CreditScenario.GrantsRemaining(balance));
        var credits = await Ledger.Tests.Credits.CreditProbes.CreditsAsync(ledger.Client, s.Customer);
        Assert.Equal(["prepaid"], credits.GetProperty("grants").EnumerateArray().Select(g => g.GetProperty("id").GetString()));
        Assert.Equal("5.00", credits.GetProperty("remaining").GetString());
        Assert.Empty(await s.Credits.FactsAsync("low_credit_balance"));

        await s.Credits.UseAsync(9);    // allowance 7, credits 2: the credit balance falls to 3.00, its alert fires; nothing ran out
        Assert.Single(await s.Credits.FactsAsync("low_credit_balance"));
        Assert.Empty(await s.Credits.FactsAsync("credits_exhausted"));

        await s.Credits.UseAsync(4);    // credits 3, 1 uncovered: now credit ran out
        var exhausted = Assert.Single(await s.Credits.FactsAsync("credits_exhausted"));
        Assert.Equal(1m, exhausted.GetProperty("uncovered").GetProperty("amount").GetDecimal());
        Assert.Equal("1.00", (await s.Credits.BalanceAsync()).GetProperty("overage_accrued").GetString());

        // A top-up pays the uncovered 1.00 only: what the allowance paid stays the allowance's.
        await s.Credits.GrantAsync("top-up", 20m);
        var covered = Assert.Single(await s.Credits.FactsAsync("accrued_overage_covered"));
        Assert.Equal(1m, covered.GetProperty("amount").GetProperty("amount").GetDecimal());
        Assert.Equal([(3m, 0m, 0m), (7m, 2m, 0m), (0m, 4m, 0m)], (await s.PaymentsAsync()).Select(Paid));
        Assert.Equal("19.00", (await s.Credits.BalanceAsync()).GetProperty("credits_remaining").GetString());
        // The draft invoice's credits line is prepaid credit only (2 + 3 + 1), not the allowance.
        var invoice = await (await ledger.Client.GetAsync($"/v1/customers/{s.Customer}/invoices/upcoming")).JsonAsync();
        Assert.Equal("-6.00", invoice.GetProperty("credits_applied").GetString());
    }

    [Fact]
    public async Task a_credit_grant_cannot_take_an_allowance_name()
    {
        var s = new ContractScenario(ledger);
        await s.StartAsync();

        var response = await Ledger.Tests.Credits.CreditProbes.GrantAsync(ledger.Client, s.Customer,
            """{"amount": "5.00", "kind": "purchased", "reference": "allowance:x:2026-04-01T00:00:00Z"}""");

        await LedgerProbes.AssertProblemAsync(response, System.Net.HttpStatusCode.BadRequest, "reference");
    }

    [Fact]
    public async Task allowance_use_per_segment_is_read_for_invoices_in_one_snapshot()
    {
        var s = await StartAsync(""" "included": {"amount": "30.00"} """);
        await s.AmendAsync("2026-04-11T00:00:00Z", """ "included": {"amount": "60.00"} """);
        await s.UseAtAsync("2026-04-05T00:00:00Z", 4);
        var position = await s.Rating.PositionAsync();
        await s.PaymentsAsync();

        var customer = await ledger.Factory.Services.GetRequiredService<IDocumentStore>().QuerySession().LoadAsync<Customer>(Customer.StreamKey(s.Customer));
        var use = await AllowanceUse.ReadAsync(ledger.Database, s.Customer, customer!.ContractOf(s.ContractId)!, Instant.FromUtc(2026, 4, 20, 0, 0), default);

        Assert.True(use.AsOf >= position);
        Assert.Equal([(s.Allowance("2026-04-01T00:00:00Z"), 10.00m, 4m, 6m), (s.Allowance("2026-04-11T00:00:00Z"), 40.00m, 0m, 40m)],
            use.Segments.Select(x => (x.Allowance.GrantId, x.Allowance.Amount.Amount, x.Drawn, x.Remaining)));
    }
}
