using System.Net;
using System.Text;
using Ledger.Tests.Support;
using static Ledger.Tests.Rating.RatingScenario;

namespace Ledger.Tests.Rating;

/// <summary>Tier totals count over the customer's billing period: the contract's period when a contract covers the usage.</summary>
[Collection(LedgerCollection.Name)]
public sealed class when_tiers_count_over_a_contract_period(LedgerFixture ledger)
{
    // The first 1,000 units at 2.00 each, the rest at 1.00.
    private const string Graduated = """
        { "currency": "USD", "effective_from": "2026-01-01T00:00:00Z", "rules": [
          { "id": "g", "match": { "model": "m" }, "per": 1,
            "tiers": { "input": { "mode": "graduated", "steps": [ { "up_to": 1000, "rate": "2.00" }, { "rate": "1.00" } ] } } } ] }
        """;

    private async Task StartContractAsync(RatingScenario s)
    {
        var started = await ledger.Client.PostAsync($"/v1/customers/{s.Customer}/contracts", new StringContent(
            """{"starts_at": "2026-10-15T00:00:00Z", "period": {"kind": "month", "anchor_day": 15}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
    }

    [Fact]
    public async Task each_contract_period_starts_its_tiers_afresh_even_inside_a_calendar_month()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(Graduated);
        await s.PutCustomerAsync();
        await StartContractAsync(s);

        await s.SendAsync(At("2026-11-10T10:00:00Z"), new { model = "m", input_tokens = 800 }); // period from October 15
        await s.SendAsync(At("2026-11-20T10:00:00Z"), new { model = "m", input_tokens = 800 }); // period from November 15

        var rows = await s.RowsWhenAsync(r => r.Count == 2 && r.All(x => x.Status == "rated"));
        Assert.Equal([1600m, 1600m], rows.Select(r => r.Amount));  // each the first 800 units of its period
    }

    [Fact]
    public async Task a_contract_recorded_late_moves_the_tier_totals_to_its_periods()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(Graduated);
        await s.PutCustomerAsync();
        await s.SendAsync(At("2026-11-10T10:00:00Z"), new { model = "m", input_tokens = 800 });
        await s.SendAsync(At("2026-11-20T10:00:00Z"), new { model = "m", input_tokens = 800 });
        // Calendar November: 800 × 2.00, then 200 × 2.00 + 600 × 1.00.
        Assert.Equal([1600m, 1000m], (await s.RowsWhenAsync(r => r.Count == 2 && r.All(x => x.Status == "rated"))).Select(r => r.Amount));

        await StartContractAsync(s);

        var rows = await s.RowsWhenAsync(r => r.Count == 2 && r[1].Amount == 1600m);
        Assert.Equal([1600m, 1600m], rows.Select(r => r.Amount));
    }
}
