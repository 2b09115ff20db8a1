using Ledger.Tests.Support;

namespace Ledger.Tests.Contracts;

/// <summary>Usage under a contract is priced with the overage terms of the contract version in force at its time (docs/invoicing.md).</summary>
[Collection(LedgerCollection.Name)]
public sealed class when_usage_falls_under_a_contract(LedgerFixture ledger)
{
    private async Task<ContractScenario> StartAsync()
    {
        var s = new ContractScenario(ledger);
        await s.StartAsync();
        return s;
    }

    private static (decimal Amount, string? Contract, int? Amendment) Priced(ContractScenario.Payment p) => (p.Amount, p.Contract, p.Amendment);

    [Fact]
    public async Task contract_discount_prices_usage_under_the_contract()
    {
        var s = await StartAsync();
        await s.StartContractAsync("2026-04-01T00:00:00Z", """ "overage": {"discount_percent": "10"} """);

        await s.UseAtAsync("2026-04-05T00:00:00Z", 10);

        Assert.Equal((9m, s.ContractId, 0), Priced(Assert.Single(await s.PaymentsAsync())));
    }

    [Fact]
    public async Task usage_before_the_contract_starts_is_at_price_book_rates()
    {
        var s = await StartAsync();
        await s.UseAtAsync("2026-03-31T23:59:59Z", 10);
        await s.UseAtAsync("2026-04-01T00:00:00Z", 10);
        Assert.Equal([10m, 10m], (await s.PaymentsAsync()).Select(p => p.Amount));

        // Recording the contract afterwards rates the usage it covers again.
        await s.StartContractAsync("2026-04-01T00:00:00Z", """ "overage": {"discount_percent": "10"} """);

        Assert.Equal([(10m, null, null), (9m, s.ContractId, 0)], (await s.PaymentsAsync()).Select(Priced));
    }

    [Fact]
    public async Task contract_terms_win_over_customer_overrides_inside_the_contract()
    {
        var s = await StartAsync();
        await s.Rating.PutOverridesAsync("""{"effective_from":"2026-01-01T00:00:00Z","discount_percent":"50"}""");
        await s.StartContractAsync("2026-04-01T00:00:00Z", """ "overage": {"discount_percent": "10"} """);
        await s.AmendAsync("2026-04-20T00:00:00Z", """ "overage": null """);

        await s.UseAtAsync("2026-03-15T00:00:00Z", 10);   // before the contract: the overrides
        await s.UseAtAsync("2026-04-15T00:00:00Z", 10);   // the contract's discount, not the overrides'
        await s.UseAtAsync("2026-04-25T00:00:00Z", 10);   // a version without overage terms: the price book, still not the overrides

        Assert.Equal([(5m, null, null), (9m, s.ContractId, 0), (10m, s.ContractId, 1)], (await s.PaymentsAsync()).Select(Priced));
        Assert.Equal(new int?[] { 1, null, null }, (await s.Rating.RowsAsync()).Select(r => r.OverrideVersion));
    }

    [Fact]
    public async Task amendment_mid_period_rates_each_side_under_its_terms()
    {
        var s = await StartAsync();
        await s.StartContractAsync("2026-04-01T00:00:00Z", """ "overage": {"discount_percent": "10"} """);
        await s.AmendAsync("2026-04-16T00:00:00Z", """ "overage": {"rules": {"m": {"input": "0.50"}}} """);

        await s.UseAtAsync("2026-04-15T23:59:59Z", 10);
        await s.UseAtAsync("2026-04-16T00:00:00Z", 10);

        Assert.Equal([(9m, s.ContractId, 0), (5m, s.ContractId, 1)], (await s.PaymentsAsync()).Select(Priced));
    }

    [Fact]
    public async Task backdated_amendment_rerates_usage_after_its_effective_at()
    {
        var s = await StartAsync();
        await s.StartContractAsync("2026-04-01T00:00:00Z", """ "overage": {"discount_percent": "10"} """);
        await s.UseAtAsync("2026-04-10T00:00:00Z", 10);
        await s.UseAtAsync("2026-04-20T00:00:00Z", 10);
        Assert.Equal([9m, 9m], (await s.PaymentsAsync()).Select(p => p.Amount));

        await s.AmendAsync("2026-04-15T00:00:00Z", """ "overage": {"discount_percent": "20"} """);

        Assert.Equal([(9m, s.ContractId, 0), (8m, s.ContractId, 1)], (await s.PaymentsAsync()).Select(Priced));
    }

    [Fact]
    public async Task usage_after_the_contract_ends_is_at_price_book_rates_again()
    {
        var s = await StartAsync();
        await s.StartContractAsync("2026-04-01T00:00:00Z", """ "overage": {"discount_percent": "10"} """);
        await s.UseAtAsync("2026-04-10T00:00:00Z", 10);
        await s.UseAtAsync("2026-04-20T00:00:00Z", 10);

        await s.EndAsync("2026-04-15T00:00:00Z");

        Assert.Equal([(9m, s.ContractId, 0), (10m, null, null)], (await s.PaymentsAsync()).Select(Priced));
    }
}
