using System.Net;
using Ledger.Tests.Credits;
using Ledger.Tests.Support;
using NodaTime;
using static Ledger.Tests.Credits.CreditProbes;

namespace Ledger.Tests.Revenue;

[Collection(LedgerCollection.Name)]
public sealed class when_prepaid_credit_is_bought_used_and_expires(LedgerFixture ledger)
{
    private readonly JournalScenario _journal = new(ledger);

    [Fact]
    public async Task a_credit_purchase_is_a_contract_liability_until_drawn()
    {
        var s = new CreditScenario(ledger);
        await s.StartAsync();
        await s.GrantAsync("prepaid", 100m);
        await _journal.PostAsync();

        var purchase = Assert.Single(await _journal.EntriesAsync(s.Customer));
        Assert.Equal(("credit_purchase", 100m, ("receivable", "contract_liability")), (purchase.Kind, purchase.Amount, purchase.Pair));
        var balances = await _journal.BalancesAsync(s.Customer);
        Assert.Equal((100m, -100m, 0m), (balances["receivable"], balances["contract_liability"], balances["usage_revenue"]));

        await s.UseAsync(30);
        await _journal.PostAsync();
        balances = await _journal.BalancesAsync(s.Customer);
        Assert.Equal((100m, -70m, -30m), (balances["receivable"], balances["contract_liability"], balances["usage_revenue"]));
    }

    [Fact]
    public async Task usage_drawn_from_credits_moves_liability_to_usage_revenue()
    {
        var s = new CreditScenario(ledger);
        await s.StartAsync();
        await s.GrantAsync("prepaid", 10m, priority: 10);
        var promo = await ledger.Client.GrantAsync(s.Customer, """{"amount":"5.00","kind":"promotional","priority":1,"reference":"welcome"}""");
        Assert.Equal(HttpStatusCode.Created, promo.StatusCode);
        await s.UseAsync(8); // promotional pays 5 (lower priority drains first), purchased 3
        await _journal.PostAsync();

        var entries = await _journal.EntriesAsync(s.Customer);
        Assert.Equal(["credit_purchase", "usage_credits", "usage_promotional"], entries.Select(e => e.Kind).Order()); // nothing for the promotional grant
        var credits = entries.Single(e => e.Kind == "usage_credits");
        Assert.Equal((3m, ("contract_liability", "usage_revenue"), "m"), (credits.Amount, credits.Pair, credits.Model));
        var promotional = entries.Single(e => e.Kind == "usage_promotional");
        Assert.Equal((5m, ("promotional_credits", "usage_revenue")), (promotional.Amount, promotional.Pair));
        var balances = await _journal.BalancesAsync(s.Customer);
        Assert.Equal((-7m, -8m, 5m), (balances["contract_liability"], balances["usage_revenue"], balances["promotional_credits"]));
        Assert.Equal(ledger.Clock.GetCurrentInstant().InUtc().Date.ToString("yyyy-MM-dd", null), credits.ServiceDate);
    }

    [Fact]
    public async Task expired_credits_are_breakage_revenue()
    {
        var s = new CreditScenario(ledger);
        await s.StartAsync();
        var effective = ledger.Clock.GetCurrentInstant().Minus(Duration.FromMinutes(1));
        await s.GrantAsync("expiring", 10m, expiresAt: InstantPattern(InRealTime(TimeSpan.FromSeconds(2))), effectiveAt: effective);
        await s.UseAsync(4);
        await ledger.Client.GrantWhenAsync(s.Customer, "expiring", "expired");
        await _journal.PostAsync();

        var breakage = Assert.Single(await _journal.EntriesAsync(s.Customer), e => e.Kind == "breakage");
        Assert.Equal((6m, ("contract_liability", "breakage_revenue")), (breakage.Amount, breakage.Pair));
        var balances = await _journal.BalancesAsync(s.Customer);
        Assert.Equal((0m, -6m, -4m, 10m), (balances["contract_liability"], balances["breakage_revenue"], balances["usage_revenue"], balances["receivable"]));
    }

    [Fact]
    public async Task a_voided_grant_refunds_its_unused_rest_as_a_credit_note()
    {
        var s = new CreditScenario(ledger);
        await s.StartAsync();
        await s.GrantAsync("refunded", 20m);
        await s.UseAsync(5);
        await s.VoidAsync("refunded");
        await _journal.PostAsync();

        var voided = Assert.Single(await _journal.EntriesAsync(s.Customer), e => e.Kind == "credit_void");
        Assert.Equal((15m, ("contract_liability", "credit_notes")), (voided.Amount, voided.Pair));
        var balances = await _journal.BalancesAsync(s.Customer);
        Assert.Equal((0m, -15m, -5m), (balances["contract_liability"], balances["credit_notes"], balances["usage_revenue"]));
    }

    private static Instant InstantPattern(string text) => NodaTime.Text.InstantPattern.ExtendedIso.Parse(text).Value;
}
