using Ledger.Credits;
using Ledger.Kernel;
using Ledger.Tests.Support;
using NodaTime;

namespace Ledger.Tests.Credits;

/// <summary>How recorded holds move the balance (the hold endpoints and spend checks are tested with them).</summary>
[Collection(LedgerCollection.Name)]
public sealed class when_holds_are_recorded(LedgerFixture ledger)
{
    [Fact]
    public async Task a_hold_reserves_credit_until_its_usage_is_rated_then_the_usage_draws_it_down()
    {
        var s = new CreditScenario(ledger);
        await s.StartAsync();
        await s.GrantAsync("prepaid", 10m);
        var now = ledger.Clock.GetCurrentInstant();
        var hold = $"hold-{Guid.NewGuid():N}";
        await s.AppendAsync(HoldPlaced.StreamKey(hold), new HoldPlaced(hold, s.Customer, new Money(4m, "USD"), now.Plus(Duration.FromMinutes(5)), now, "test"));
        var held = await s.BalanceAsync();
        Assert.Equal(("10.00", "4.00", "6.00"), (held.GetProperty("credits_remaining").GetString(), held.GetProperty("held").GetString(), held.GetProperty("available").GetString()));

        // Settled before its usage arrives: still held, so the reservation never lapses while the usage is on its way.
        await s.AppendAsync(HoldPlaced.StreamKey(hold), new HoldSettled(hold, s.Customer, s.Rating.Source, "e1", now));
        Assert.Equal("4.00", (await s.BalanceAsync()).GetProperty("held").GetString());

        await s.UseAsync(3); // event e1
        var settled = await s.BalanceAsync();
        Assert.Equal(("7.00", "0.00", "7.00"), (settled.GetProperty("credits_remaining").GetString(), settled.GetProperty("held").GetString(), settled.GetProperty("available").GetString()));
    }

    [Fact]
    public async Task an_expired_or_released_hold_reserves_nothing()
    {
        var s = new CreditScenario(ledger);
        await s.StartAsync();
        await s.GrantAsync("prepaid", 10m);
        var now = ledger.Clock.GetCurrentInstant();
        foreach (var (id, how) in new[] { ($"h-{Guid.NewGuid():N}", HoldEnd.Expired), ($"h-{Guid.NewGuid():N}", HoldEnd.Released) })
        {
            await s.AppendAsync(HoldPlaced.StreamKey(id), new HoldPlaced(id, s.Customer, new Money(2m, "USD"), now.Plus(Duration.FromMinutes(5)), now, "test"));
            await s.AppendAsync(HoldPlaced.StreamKey(id), new HoldEnded(id, s.Customer, how, now));
        }
        Assert.Equal("0.00", (await s.BalanceAsync()).GetProperty("held").GetString());
    }
}
