using System.Net;
using System.Text.Json;
using Ledger.Tests.Contracts;
using Ledger.Tests.Support;
using NodaTime;

namespace Ledger.Tests.Credits;

/// <summary>
/// Spend checks and holds count what is left of the contract allowance usage recorded now would draw before any credit
/// (docs/credits.md, "Spend checks and holds"), through HTTP against the real database. The contract runs monthly from the
/// start of the ledger clock's month with an allowance of 10.00 a month, so now is in its first, whole segment.
/// </summary>
[Collection(LedgerCollection.Name)]
public sealed class when_spend_is_checked_under_a_contract_allowance(LedgerFixture ledger)
{
    private async Task<(SpendScenario Spend, ContractScenario Contract)> StartAsync(bool block = true, string allowance = "10.00")
    {
        var spend = new SpendScenario(ledger);
        await spend.StartAsync(block);
        var contract = new ContractScenario(ledger, spend.Credits);
        var today = ledger.Clock.GetCurrentInstant().InUtc().Date;
        await contract.StartContractAsync(new LocalDate(today.Year, today.Month, 1).AtMidnight().InUtc().ToInstant().ToString(),
            $$""" "included": {"amount": "{{allowance}}"} """);
        return (spend, contract);
    }

    private static (bool, string, string, string) Answer(JsonElement a) =>
        (a.GetProperty("allowed").GetBoolean(), a.GetProperty("reason").GetString()!, a.GetProperty("available").GetString()!,
            a.GetProperty("allowance_remaining").GetString()!);

    private static (string, string, string, string) Balance(JsonElement b) =>
        (b.GetProperty("credits_remaining").GetString()!, b.GetProperty("allowance_remaining").GetString()!, b.GetProperty("held").GetString()!,
            b.GetProperty("available").GetString()!);

    [Fact]
    public async Task block_allows_up_to_the_allowance_without_any_credit()
    {
        var (s, _) = await StartAsync();

        Assert.Equal((true, "credits_cover", "10.00", "10.00"), Answer(await s.AuthorizeCaughtUpAsync("10.00")));
        Assert.Equal((false, "insufficient_credits", "10.00", "10.00"), Answer(await s.AuthorizeCaughtUpAsync("10.01")));
        Assert.Equal(("0.00", "10.00", "0.00", "10.00"), Balance(await s.Credits.BalanceAsync()));

        // A hold is checked against the same figure and lowers it.
        var refused = await s.HoldAsync("10.01");
        await LedgerProbes.AssertProblemAsync(refused, HttpStatusCode.PaymentRequired);
        await s.PlacedAsync("6.00");
        Assert.Equal((false, "insufficient_credits", "4.00", "10.00"), Answer(await s.AuthorizeCaughtUpAsync("4.01")));
        Assert.Equal(("0.00", "10.00", "6.00", "4.00"), Balance(await s.Credits.BalanceAsync()));
    }

    [Fact]
    public async Task usage_drawn_from_the_allowance_shrinks_what_is_left()
    {
        var (s, c) = await StartAsync();
        // The view has read the contract before the usage: usage paid by the allowance alone (no credit moves) must reach it too.
        Assert.Equal((true, "credits_cover", "10.00", "10.00"), Answer(await s.AuthorizeCaughtUpAsync("10.00")));

        await s.Credits.UseAsync(4);
        Assert.Equal([(4m, 4m, 0m)], (await c.PaymentsAsync()).Select(p => (p.Amount, p.Allowance, p.Uncovered)));
        Assert.Equal((true, "credits_cover", "6.00", "6.00"), Answer(await s.AuthorizeCaughtUpAsync("6.00")));
        Assert.Equal((false, "insufficient_credits", "6.00", "6.00"), Answer(await s.AuthorizeCaughtUpAsync("6.01")));
        Assert.Equal(("0.00", "6.00", "0.00", "6.00"), Balance(await s.Credits.BalanceAsync()));

        // Used up: a call already in flight goes beyond it (uncovered), and nothing more is allowed.
        await s.Credits.UseAsync(7);
        Assert.Equal((false, "insufficient_credits", "-1.00", "0.00"), Answer(await s.AuthorizeCaughtUpAsync("0.01")));
        Assert.Equal(("-1.00", "0.00", "0.00", "-1.00"), Balance(await s.Credits.BalanceAsync()));
    }

    [Fact]
    public async Task allowance_and_credits_add_up()
    {
        var (s, c) = await StartAsync();
        await s.Credits.GrantAsync("prepaid", 5m);

        Assert.Equal((true, "credits_cover", "15.00", "10.00"), Answer(await s.AuthorizeCaughtUpAsync("15.00")));
        Assert.Equal((false, "insufficient_credits", "15.00", "10.00"), Answer(await s.AuthorizeCaughtUpAsync("15.01")));

        await s.Credits.UseAsync(12); // allowance 10, credits 2
        Assert.Equal([(10m, 2m, 0m)], (await c.PaymentsAsync()).Select(p => (p.Allowance, p.Credits, p.Uncovered)));
        Assert.Equal((true, "credits_cover", "3.00", "0.00"), Answer(await s.AuthorizeCaughtUpAsync("3.00")));
        Assert.Equal((false, "insufficient_credits", "3.00", "0.00"), Answer(await s.AuthorizeCaughtUpAsync("3.01")));
        Assert.Equal(("3.00", "0.00", "0.00", "3.00"), Balance(await s.Credits.BalanceAsync()));
    }

    [Fact]
    public async Task overage_policy_says_the_allowance_covers_a_call_it_pays()
    {
        var (s, _) = await StartAsync(block: false);

        Assert.Equal((true, "credits_cover", "10.00", "10.00"), Answer(await s.AuthorizeCaughtUpAsync("10.00")));
        Assert.Equal((true, "overage_policy", "10.00", "10.00"), Answer(await s.AuthorizeCaughtUpAsync("10.01")));
    }

    [Fact]
    public async Task a_customer_without_a_contract_shows_no_allowance()
    {
        var s = new SpendScenario(ledger);
        await s.StartAsync(block: true);
        await s.Credits.GrantAsync("prepaid", 5m);

        Assert.Equal((false, "insufficient_credits", "5.00", "0.00"), Answer(await s.AuthorizeCaughtUpAsync("5.01")));
        Assert.Equal(("5.00", "0.00", "0.00", "5.00"), Balance(await s.Credits.BalanceAsync()));
    }
}
