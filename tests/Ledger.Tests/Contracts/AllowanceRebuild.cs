using Ledger.Tests.Rating;
using Ledger.Tests.Support;

namespace Ledger.Tests.Contracts;

/// <summary>
/// Allowance drawdowns and included units are a projection of the log like credit drawdowns: a rebuild gives each one back
/// to the last digit.
/// </summary>
[Collection(LedgerCollection.Name)]
public sealed class when_rating_under_contracts_is_rebuilt(LedgerFixture ledger)
{
    [Fact]
    public async Task rebuild_of_the_rating_projection_reproduces_allowance_drawdowns()
    {
        var scenarios = new List<ContractScenario>();

        // An amendment recorded after the usage, with credits paying what the smaller first segment no longer does.
        var amended = await StartAsync(scenarios, "2026-04-01T00:00:00Z", """ "included": {"amount": "30.00"}, "overage": {"discount_percent": "10"} """);
        await amended.Credits.GrantAsync("prepaid", 50m);
        await amended.UseAtAsync("2026-04-02T00:00:00Z", 20);
        await amended.UseAtAsync("2026-04-25T00:00:00Z", 7);
        await amended.AmendAsync("2026-04-11T00:00:00Z", """ "included": {"amount": "60.00"} """);
        await amended.UseAtAsync("2026-03-30T00:00:00Z", 3);   // before the contract

        // Periods from the 15th, late usage, a price change from a month start, then the end of the contract.
        var mid = await StartAsync(scenarios, "2026-02-15T00:00:00Z", """ "period": {"kind": "month", "anchor_day": 15}, "included": {"amount": "10.00"} """);
        await mid.UseAtAsync("2026-04-05T00:00:00Z", 8);
        await mid.UseAtAsync("2026-03-20T00:00:00Z", 8);
        await mid.UseAtAsync("2026-02-20T00:00:00Z", 4);
        await mid.Rating.PublishAsync(RatingScenario.FlatBook("2026-04-01T00:00:00Z", "0.75", per: "1"));
        await mid.EndAsync("2026-04-10T00:00:00Z");
        await mid.UseAtAsync("2026-04-12T00:00:00Z", 2);

        // Included units, an amendment recorded later, usage not priced at first.
        var units = await StartAsync(scenarios, "2026-04-01T00:00:00Z", """ "included": {"quantities": [{"meter": "input_tokens", "quantity": "30"}]} """);
        await units.UseAtAsync("2026-04-02T00:00:00Z", 20);
        await units.Rating.SendAsync(RatingScenario.At("2026-04-03T00:00:00Z"), new { model = "x", input_tokens = 7 });
        await units.UseAtAsync("2026-04-20T00:00:00Z", 50);
        await units.AmendAsync("2026-04-11T00:00:00Z", """ "included": {"quantities": [{"meter": "input_tokens", "quantity": "45"}]} """);

        var before = await SnapshotAsync(scenarios);
        Assert.Contains(before, r => r.StartsWith("units|"));
        Assert.Contains(before, r => r.Contains("allowance:"));
        Assert.True(before.Count(r => r.StartsWith("allowance|")) >= 4, string.Join("\n", before));
        // so that a rebuild that rewrote nothing cannot pass
        foreach (var sql in new[]
                 {
                     "update ledger.rated_usage set drawdowns = null where customer_id = any($1)",
                     "delete from ledger.contract_allowances where customer_id = any($1)",
                     "delete from ledger.contract_included_units where customer_id = any($1)",
                     "update ledger.rated_usage set amount = amount + 1 where customer_id = any($1)",
                 })
        {
            await using var tamper = ledger.Database.CreateCommand(sql);
            tamper.Parameters.Add(new() { Value = scenarios.Select(s => s.Customer).ToArray() });
            await tamper.ExecuteNonQueryAsync();
        }

        await RatingScenario.RebuildRatingsAsync(ledger);

        Assert.Equal(before, await SnapshotAsync(scenarios));
    }

    private async Task<ContractScenario> StartAsync(List<ContractScenario> scenarios, string start, string terms)
    {
        var s = new ContractScenario(ledger);
        await s.StartAsync();
        await s.StartContractAsync(start, terms);
        scenarios.Add(s);
        return s;
    }

    private async Task<List<string>> SnapshotAsync(List<ContractScenario> scenarios)
    {
        foreach (var s in scenarios) await s.PaymentsAsync();   // rating has caught up
        var rows = new List<string>();
        foreach (var sql in new[]
                 {
                     "select concat_ws('|', 'usage', seq, status, amount, uncovered, drawdowns::text, contract_id, contract_amendment, lines::text) from ledger.rated_usage where customer_id = any($1) order by seq",
                     "select concat_ws('|', 'units', customer_id, contract_id, segment_start, segment_end, meter, model, included, used) from ledger.contract_included_units where customer_id = any($1) order by customer_id, contract_id, segment_start, meter, model",
                     "select concat_ws('|', 'allowance', customer_id, contract_id, segment_start, segment_end, allowance, drawn) from ledger.contract_allowances where customer_id = any($1) order by customer_id, contract_id, segment_start",
                     "select concat_ws('|', 'grant', customer_id, grant_id, drawn) from ledger.credit_grants where customer_id = any($1) order by customer_id, grant_id",
                 })
        {
            await using var cmd = ledger.Database.CreateCommand(sql);
            cmd.Parameters.Add(new() { Value = scenarios.Select(s => s.Customer).ToArray() });
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        }
        return rows;
    }
}
