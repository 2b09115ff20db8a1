using Ledger.Credits;
using System.Text.Json;
using Ledger.Tests.Support;
using Ledger.Tests.Webhooks;
using NodaTime;

namespace Ledger.Tests.Credits;

[Collection(LedgerCollection.Name)]
public sealed class when_usage_draws_down_credits(LedgerFixture ledger)
{
    private async Task<CreditScenario> StartAsync(string? credits = null)
    {
        var s = new CreditScenario(ledger);
        await s.StartAsync(credits);
        return s;
    }

    [Fact]
    public async Task grants_drain_by_priority_then_earliest_expiry_then_oldest_and_one_usage_splits_across_grants()
    {
        var s = await StartAsync();
        var now = ledger.Clock.GetCurrentInstant();
        await s.GrantAsync("late-expiry", 5m, priority: 10, expiresAt: now.Plus(Duration.FromDays(90)));
        await s.GrantAsync("no-expiry", 5m, priority: 10);
        await s.GrantAsync("early-expiry", 5m, priority: 10, expiresAt: now.Plus(Duration.FromDays(30)));
        await s.GrantAsync("first", 2m, priority: 1);

        await s.UseAsync(4);   // first 2, then early-expiry 2
        await s.UseAsync(9);   // early-expiry 3, late-expiry 5, no-expiry 1

        var payments = await s.PaymentsAsync();
        Assert.Equal(new Dictionary<string, decimal> { ["first"] = 2m, ["early-expiry"] = 2m }, payments[0].Paid);
        Assert.Equal(new Dictionary<string, decimal> { ["early-expiry"] = 3m, ["late-expiry"] = 5m, ["no-expiry"] = 1m }, payments[1].Paid);
        Assert.All(payments, p => Assert.Equal(0m, p.Uncovered));
        var balance = await s.BalanceAsync();
        Assert.Equal("4.00", balance.GetProperty("credits_remaining").GetString());
        Assert.Equal(new Dictionary<string, string> { ["first"] = "0.00", ["early-expiry"] = "0.00", ["late-expiry"] = "0.00", ["no-expiry"] = "4.00" },
            CreditScenario.GrantsRemaining(balance));
        Assert.Equal("0.00", balance.GetProperty("overage_accrued").GetString());
        Assert.Equal("13.00", balance.GetProperty("period_spend").GetString());
    }

    [Fact]
    public async Task batch_job_lands_after_credits_ran_out()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var endpoints = new Endpoints(ledger);
        var s = await StartAsync();
        await endpoints.CreateAsync(receiver.Url(), s.Customer, [CreditAlerts.Exhausted]);
        await s.GrantAsync("prepaid", 10m);
        await s.UseAsync(8);
        await s.UseAsync(5);   // 2 from credits, 3 overage: credits run out here
        await s.UseAsync(7);   // all overage, and no second "exhausted"

        var payments = await s.PaymentsAsync();
        Assert.Equal([0m, 3m, 7m], payments.Select(p => p.Uncovered));
        var balance = await s.BalanceAsync();
        Assert.Equal("0.00", balance.GetProperty("credits_remaining").GetString());
        Assert.Equal("10.00", balance.GetProperty("overage_accrued").GetString());
        var exhausted = Assert.Single(await s.FactsAsync("credits_exhausted"));
        Assert.Equal(3m, exhausted.GetProperty("uncovered").GetProperty("amount").GetDecimal());
        Assert.Equal("Overage", exhausted.GetProperty("policy").GetString());

        // The webhook fires as the usage is rated, not at reconciliation; once.
        var notice = JsonDocument.Parse(Assert.Single(await receiver.WaitForAsync(1)).Body).RootElement.GetProperty("data");
        Assert.Equal(("overage", "3.00"), (notice.GetProperty("policy").GetString(), notice.GetProperty("uncovered").GetString()));
        await Task.Delay(500);
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task top_up_covers_accrued_overage_before_invoice()
    {
        var s = await StartAsync();
        await s.GrantAsync("first", 5m);
        await s.UseAsync(4);
        await s.UseAsync(3);   // 1 from first, 2 overage
        await s.UseAsync(6);   // 6 overage
        Assert.Equal("8.00", (await s.BalanceAsync()).GetProperty("overage_accrued").GetString());

        await s.GrantAsync("top-up", 10m);  // pays the 8 of overage at once, 2 left for new usage
        var balance = await s.BalanceAsync();
        Assert.Equal("0.00", balance.GetProperty("overage_accrued").GetString());
        Assert.Equal("2.00", balance.GetProperty("credits_remaining").GetString());
        var payments = await s.PaymentsAsync();
        Assert.Equal(new Dictionary<string, decimal> { ["first"] = 1m, ["top-up"] = 2m }, payments[1].Paid);
        Assert.Equal(new Dictionary<string, decimal> { ["top-up"] = 6m }, payments[2].Paid);
        var covered = Assert.Single(await s.FactsAsync("accrued_overage_covered"));
        Assert.Equal(8m, covered.GetProperty("amount").GetProperty("amount").GetDecimal());
        Assert.Equal(2, covered.GetProperty("usageEvents").GetInt32());

        await s.UseAsync(3);   // 2 from the top-up, 1 overage: credits ran out a second time
        Assert.Equal("1.00", (await s.BalanceAsync()).GetProperty("overage_accrued").GetString());
        Assert.Equal(2, (await s.FactsAsync("credits_exhausted")).Count);
    }

    [Fact]
    public async Task under_the_block_policy_uncovered_usage_is_a_negative_balance()
    {
        var s = await StartAsync("""{"policy":"block"}""");
        await s.GrantAsync("prepaid", 5m);
        await s.UseAsync(7);
        var balance = await s.BalanceAsync();
        Assert.Equal("block", balance.GetProperty("policy").GetString());
        Assert.Equal("-2.00", balance.GetProperty("credits_remaining").GetString());
        Assert.Equal("-2.00", balance.GetProperty("available").GetString());
        Assert.Equal("0.00", balance.GetProperty("overage_accrued").GetString());
        Assert.Equal("Block", Assert.Single(await s.FactsAsync("credits_exhausted")).GetProperty("policy").GetString());
    }

    [Fact]
    public async Task a_voided_grant_pays_nothing_more_and_its_remainder_is_recorded_as_voided()
    {
        var s = await StartAsync();
        await s.GrantAsync("mistake", 10m);
        await s.UseAsync(4);
        await s.VoidAsync("mistake");
        await s.UseAsync(3);
        var payments = await s.PaymentsAsync();
        Assert.Equal(3m, payments[1].Uncovered);
        Assert.Equal((10m, 4m, 0m, 6m, "voided"), await GrantRowAsync(s.Customer, "mistake"));
    }

    [Fact]
    public async Task an_expired_grant_records_its_remainder_as_breakage()
    {
        var s = await StartAsync();
        await s.GrantAsync("promo", 10m, expiresAt: ledger.Clock.GetCurrentInstant().Plus(Duration.FromDays(1)));
        await s.UseAsync(4);
        await s.AppendAsync(CreditGranted.StreamKey(s.Customer, "promo"), new CreditGrantExpired(s.Customer, "promo", ledger.Clock.GetCurrentInstant()));
        await s.UseAsync(1);
        await s.BalanceAsync();
        Assert.Equal((10m, 4m, 6m, 0m, "expired"), await GrantRowAsync(s.Customer, "promo"));
        var breakage = Assert.Single(await s.FactsAsync("credit_breakage_recorded"));
        Assert.Equal(6m, breakage.GetProperty("amount").GetProperty("amount").GetDecimal());
        Assert.Equal(1m, (await s.PaymentsAsync())[1].Uncovered);
    }

    [Fact]
    public async Task a_grant_used_up_before_it_expires_records_its_expiry_with_no_breakage()
    {
        var s = await StartAsync();
        await s.GrantAsync("promo", 3m, expiresAt: ledger.Clock.GetCurrentInstant().Plus(Duration.FromDays(1)));
        await s.UseAsync(5);
        await s.AppendAsync(CreditGranted.StreamKey(s.Customer, "promo"), new CreditGrantExpired(s.Customer, "promo", ledger.Clock.GetCurrentInstant()));
        await s.BalanceAsync();
        Assert.Equal((3m, 3m, 0m, 0m, "expired"), await GrantRowAsync(s.Customer, "promo"));
        Assert.Equal(0m, Assert.Single(await s.FactsAsync("credit_breakage_recorded")).GetProperty("amount").GetProperty("amount").GetDecimal());
    }

    [Fact]
    public async Task low_balance_alerts_fire_once_per_crossing_at_amounts_and_fractions_of_the_last_top_up()
    {
        var s = await StartAsync("""{"low_balance_alerts":[{"amount":"5.00"},{"fraction_of_last_top_up":"0.2"}]}""");
        await s.GrantAsync("g1", 20m);
        await s.UseAsync(14);   // 6 left: nothing yet
        Assert.Empty(await s.FactsAsync("low_credit_balance"));
        await s.UseAsync(1);    // 5 left: the amount alert
        await s.UseAsync(1);    // 4 left: the fraction alert (0.2 × 20), the amount alert not again
        await s.UseAsync(1);
        Assert.Equal(["amount-5", "fraction-0.2"], (await s.FactsAsync("low_credit_balance")).Select(f => f.GetProperty("alert").GetString()));

        await s.GrantAsync("g2", 10m);  // 13 left: above both thresholds (5, and 0.2 × 10 = 2)
        await s.UseAsync(9);    // 4 left: the amount alert again, for this top-up
        Assert.Equal(["amount-5", "fraction-0.2", "amount-5"], (await s.FactsAsync("low_credit_balance")).Select(f => f.GetProperty("alert").GetString()));
    }

    [Fact]
    public async Task usage_rated_again_lower_gives_credit_back_and_rated_again_higher_draws_more()
    {
        var s = await StartAsync();
        await s.GrantAsync("prepaid", 10m);
        await s.UseAsync(4);
        await s.Rating.PublishAsync(Ledger.Tests.Rating.RatingScenario.FlatBook("2026-02-01T00:00:00Z", "0.50", per: "1"));
        Assert.Equal("8.00", (await s.BalanceAsync()).GetProperty("credits_remaining").GetString());
        Assert.Equal(new Dictionary<string, decimal> { ["prepaid"] = 2m }, (await s.PaymentsAsync())[0].Paid);

        await s.Rating.PublishAsync(Ledger.Tests.Rating.RatingScenario.FlatBook("2026-03-01T00:00:00Z", "3.00", per: "1"));
        var balance = await s.BalanceAsync();
        Assert.Equal("0.00", balance.GetProperty("credits_remaining").GetString());
        Assert.Equal("2.00", balance.GetProperty("overage_accrued").GetString());
        var payment = (await s.PaymentsAsync())[0];
        Assert.Equal((12m, 2m), (payment.Amount, payment.Uncovered));
    }

    private async Task<(decimal Granted, decimal Drawn, decimal Expired, decimal Voided, string Status)> GrantRowAsync(string customer, string grant)
    {
        await using var cmd = ledger.Database.CreateCommand(
            "select granted, drawn, expired, voided, status from ledger.credit_grants where customer_id = $1 and grant_id = $2");
        cmd.Parameters.Add(new() { Value = customer });
        cmd.Parameters.Add(new() { Value = grant });
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"no grant {grant}");
        return (reader.GetDecimal(0), reader.GetDecimal(1), reader.GetDecimal(2), reader.GetDecimal(3), reader.GetString(4));
    }
}
