using System.Net;
using System.Text.Json.Nodes;
using Ledger.Audit;
using Ledger.Tests.Audit;
using Ledger.Tests.Support;
using static Ledger.Tests.Invoices.InvoiceScenario;

namespace Ledger.Tests.Invoices;

[Collection(LedgerCollection.Name)]
public sealed class when_an_invoice_proof_bundle_is_fetched(LedgerFixture ledger)
{
    [Fact]
    public async Task it_holds_the_invoice_and_the_events_it_billed_and_a_changed_quantity_makes_it_invalid()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-10-03T00:00:00Z", 1_000_000);
        await s.UseAsync("2026-10-20T00:00:00Z", 2_500_000);
        var october = await s.IssuedAsync("2026-10-01");
        await s.UseAsync("2026-10-25T00:00:00Z", 4_000_000);    // late: on the next invoice, not in October's proof
        await AuditProbes.WaitForChainAsync(ledger.Database, await s.Rating.PositionAsync());
        Assert.Equal(HttpStatusCode.Created, (await ledger.Client.PostAsync("/v1/audit/checkpoints", null)).StatusCode);

        var response = await ledger.Client.GetAsync($"/v1/invoices/{S(october, "id")}/proof");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var verdict = ProofCheck.Check(body);
        Assert.True(verdict.Valid, verdict.Message);
        Assert.Contains($"Invoice {S(october, "number")}", verdict.Message);
        var bundle = JsonNode.Parse(body)!;
        Assert.Equal(2, bundle["events"]!.AsArray().Count);
        Assert.Equal(2, bundle["first_billed"]!.AsArray().Count);

        // An invoice that claims more tokens than its events hold does not check.
        var inflated = bundle.DeepClone();
        inflated["invoice"]!["lines"]![0]!["quantity"] = "3500001";
        var refused = ProofCheck.Check(inflated.ToJsonString());
        Assert.False(refused.Valid);
        Assert.Contains("the events it billed hold 3500000", refused.Message);
    }
}
