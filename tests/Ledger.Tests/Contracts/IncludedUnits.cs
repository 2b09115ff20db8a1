using Ledger.Tests.Support;
using static Ledger.Tests.Rating.RatingScenario;

namespace Ledger.Tests.Contracts;

/// <summary>
/// A contract's included quantities: the first units of a meter in each segment are free, in ledger order, and units beyond
/// are priced (docs/invoicing.md#included-units). The book charges $1 per input token of model "m"; April 2026 has 30 days.
/// </summary>
[Collection(LedgerCollection.Name)]
public sealed class when_a_contract_includes_units(LedgerFixture ledger)
{
    private async Task<ContractScenario> StartAsync(string quantities, string terms = "")
    {
        var s = new ContractScenario(ledger);
        await s.StartAsync();
        await s.StartContractAsync("2026-04-01T00:00:00Z", $$""" "included": {"quantities": {{quantities}}}{{terms}} """);
        return s;
    }

    [Fact]
    public async Task the_first_units_of_a_meter_in_a_segment_are_free_and_units_beyond_are_priced()
    {
        var s = await StartAsync("""[{"meter": "input_tokens", "quantity": "15"}]""", """, "overage": {"discount_percent": "10"}""");

        await s.UseAtAsync("2026-04-05T00:00:00Z", 10);   // all free
        await s.UseAtAsync("2026-04-06T00:00:00Z", 10);   // 5 free, 5 at 0.90
        await s.UseAtAsync("2026-04-07T00:00:00Z", 4);    // 4 at 0.90
        await s.UseAtAsync("2026-05-02T00:00:00Z", 20);   // May: 15 free again

        Assert.Equal([("rated", 0m, 10m), ("rated", 4.5m, 5m), ("rated", 3.6m, 0m), ("rated", 4.5m, 15m)], await s.InputTokensAsync());
        Assert.Equal(("2026-04-01T00:00:00Z", "input_tokens", ""), (await s.IncludedUnitsAsync()).Keys.Order().First());
        Assert.Equal((15m, 15m), (await s.IncludedUnitsAsync())[("2026-04-01T00:00:00Z", "input_tokens", "")]);
    }

    [Fact]
    public async Task a_model_specific_quantity_is_used_before_an_any_model_one_and_unpriced_usage_takes_its_units_too()
    {
        var s = await StartAsync("""[{"meter": "input_tokens", "model": "m", "quantity": "5"}, {"meter": "input_tokens", "quantity": "5"}]""");

        await s.UseAtAsync("2026-04-05T00:00:00Z", 8);                                                           // 5 of m's, 3 of any model's
        await s.Rating.SendAsync(At("2026-04-06T00:00:00Z"), new { model = "x", input_tokens = 4 });            // no price for x yet: takes the last 2
        await s.UseAtAsync("2026-04-07T00:00:00Z", 3);                                                           // nothing left: 3.00

        var rows = await s.InputTokensAsync();
        Assert.Equal([("rated", 0m, 8m), ("unpriced", 0m, 0m), ("rated", 3m, 0m)], rows);
        Assert.Equal((5m, 5m), (await s.IncludedUnitsAsync())[("2026-04-01T00:00:00Z", "input_tokens", "")]);
        Assert.Equal((5m, 5m), (await s.IncludedUnitsAsync())[("2026-04-01T00:00:00Z", "input_tokens", "m")]);

        // A price for x arrives: the x usage keeps the 2 units it took, and pays for 2.
        await s.Rating.PublishAsync("""
            { "currency": "USD", "effective_from": "2026-03-01T00:00:00Z", "backdate": true, "rules": [
              { "id": "m", "match": { "model": "m" }, "per": 1, "rates": { "input": "1.00" } },
              { "id": "x", "match": { "model": "x" }, "per": 1, "rates": { "input": "1.00" } } ] }
            """);
        await s.Rating.RowsWhenAsync(r => r.All(x => x.Status == "rated"));
        Assert.Equal([("rated", 0m, 8m), ("rated", 2m, 2m), ("rated", 3m, 0m)], await s.InputTokensAsync());
    }

    [Fact]
    public async Task included_units_are_prorated_per_segment_and_an_amendment_recorded_later_counts_them_again()
    {
        var s = await StartAsync("""[{"meter": "input_tokens", "quantity": "30"}]""");
        await s.UseAtAsync("2026-04-02T00:00:00Z", 20);
        await s.UseAtAsync("2026-04-20T00:00:00Z", 50);
        Assert.Equal([("rated", 0m, 20m), ("rated", 40m, 10m)], await s.InputTokensAsync());

        // From April 11, 60 a month: April 1-11 keeps 10 of 30, April 11-May 1 gets 40 of 60.
        await s.AmendAsync("2026-04-11T00:00:00Z", """ "included": {"quantities": [{"meter": "input_tokens", "quantity": "60"}]} """);

        Assert.Equal([("rated", 10m, 10m), ("rated", 10m, 40m)], await s.InputTokensAsync());
        Assert.Equal(new Dictionary<(string, string, string), (decimal, decimal)>
        {
            [("2026-04-01T00:00:00Z", "input_tokens", "")] = (10m, 10m),
            [("2026-04-11T00:00:00Z", "input_tokens", "")] = (40m, 40m),
        }, await s.IncludedUnitsAsync());
    }

    [Fact]
    public async Task free_units_take_the_first_places_on_a_graduated_tier()
    {
        var s = new ContractScenario(ledger);
        await s.StartAsync();
        // Graduated: the first 10 tokens of the month at 2.00, the rest at 1.00; 6 tokens a month included.
        await s.Rating.PublishAsync("""
            { "currency": "USD", "effective_from": "2026-03-01T00:00:00Z", "backdate": true, "rules": [
              { "id": "m", "match": { "model": "m" }, "per": 1,
                "tiers": { "input": { "mode": "graduated", "steps": [ { "up_to": 10, "rate": "2.00" }, { "rate": "1.00" } ] } } } ] }
            """);
        await s.StartContractAsync("2026-04-01T00:00:00Z", """ "included": {"quantities": [{"meter": "input_tokens", "quantity": "6"}]} """);

        await s.UseAtAsync("2026-04-05T00:00:00Z", 8);    // 6 free (places 1-6), 2 at 2.00 (places 7-8)
        await s.UseAtAsync("2026-04-06T00:00:00Z", 5);    // places 9-10 at 2.00, 11-13 at 1.00

        Assert.Equal([("rated", 4m, 6m), ("rated", 7m, 0m)], await s.InputTokensAsync());
    }
}
