using System.Net;
using System.Text.Json.Nodes;
using Ledger.Audit;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Audit;

/// <summary>
/// A customer's proof bundle ties its events to a signed checkpoint, is checked offline by the same code as
/// tools/ProofCheck, fails on any altered byte, and holds no other customer's data.
/// </summary>
[Collection(LedgerCollection.Name)]
public sealed class when_a_customer_proof_bundle_is_fetched(LedgerFixture ledger)
{
    private static readonly DateTimeOffset InWindow = DateTimeOffset.UtcNow.AddMinutes(-30);

    [Fact]
    public async Task it_checks_valid_offline_and_holds_only_that_customers_events()
    {
        var (customer, other, bundle) = await IngestAndFetchAsync();

        var verdict = ProofCheck.Check(bundle.ToJsonString());

        Assert.True(verdict.Valid, verdict.Message);
        var events = bundle["events"]!.AsArray();
        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.Contains(customer, e!["data"]!.GetValue<string>()));
        Assert.DoesNotContain(other, bundle.ToJsonString());
        var leaves = bundle["leaves"]!.AsArray().Select(l => l![0]!.GetValue<long>()).ToList();
        Assert.True(leaves.Count > events.Count, "the other customer's events between appear as leaves");
        Assert.Equal(bundle["checkpoint"]!["checkpoint"]!["sequence"]!.GetValue<long>(), leaves[^1]);
        Assert.Equal(events[0]!["seq"]!.GetValue<long>(), leaves[0]);
    }

    [Fact]
    public async Task an_altered_event_leaf_or_signature_makes_it_invalid()
    {
        var (_, _, bundle) = await IngestAndFetchAsync();

        var alteredEvent = bundle.DeepClone();
        var second = alteredEvent["events"]![1]!;
        second["data"] = second["data"]!.GetValue<string>().Replace("1200", "1201");
        var verdict = ProofCheck.Check(alteredEvent.ToJsonString());
        Assert.False(verdict.Valid);
        Assert.Equal(second["seq"]!.GetValue<long>(), verdict.Sequence);
        Assert.Contains($"sequence {verdict.Sequence}", verdict.Message);

        var alteredLeaf = bundle.DeepClone();
        var eventSeqs = alteredLeaf["events"]!.AsArray().Select(e => e!["seq"]!.GetValue<long>()).ToHashSet();
        var leaf = alteredLeaf["leaves"]!.AsArray().First(l => !eventSeqs.Contains(l![0]!.GetValue<long>()))!;
        leaf[1] = Flip(leaf[1]!.GetValue<string>());
        Assert.False(ProofCheck.Check(alteredLeaf.ToJsonString()).Valid);

        var alteredSignature = bundle.DeepClone();
        var checkpoint = alteredSignature["checkpoint"]!["checkpoint"]!;
        var signature = Convert.FromBase64String(checkpoint["signature"]!.GetValue<string>());
        signature[^3] ^= 0x01;
        checkpoint["signature"] = Convert.ToBase64String(signature);
        var signatureVerdict = ProofCheck.Check(alteredSignature.ToJsonString());
        Assert.False(signatureVerdict.Valid);
        Assert.Contains("signature", signatureVerdict.Message);
    }

    [Fact]
    public async Task a_window_past_the_named_checkpoint_is_a_409_problem_and_a_bad_time_a_400()
    {
        var before = await TakeCheckpointAsync();
        var customer = NewCustomer();
        await AssertReportAsync(await ledger.Client.PostBatchAsync([CloudEvents.Usage(CloudEvents.NewSource("proof"), "x1", customer, InWindow)]));

        await AssertProblemAsync(await ledger.Client.GetAsync(Query(customer) + $"&checkpoint={before}"), HttpStatusCode.Conflict);
        await AssertProblemAsync(await ledger.Client.GetAsync($"/v1/audit/proofs?customer={customer}&from=yesterday&to=2030-01-01T00:00:00Z"),
            HttpStatusCode.BadRequest, "from");
    }

    private async Task<(string Customer, string Other, JsonNode Bundle)> IngestAndFetchAsync()
    {
        var (customer, other) = (NewCustomer(), NewCustomer());
        var source = CloudEvents.NewSource("proof");
        await AssertReportAsync(await ledger.Client.PostBatchAsync([CloudEvents.Usage(source, "early", customer, InWindow.AddHours(-3))]));
        foreach (var (id, who) in new[] { ("a1", customer), ("b1", other), ("a2", customer), ("b2", other), ("a3", customer) })
            await AssertReportAsync(await ledger.Client.PostBatchAsync([CloudEvents.Usage(source, id, who, InWindow)]));
        await AuditProbes.WaitForChainAsync(ledger.Database, (await AuditProbes.SequencesAsync(ledger.Database, source))[^1]);
        await TakeCheckpointAsync();

        var response = await ledger.Client.GetAsync(Query(customer));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return (customer, other, JsonNode.Parse(body)!);
    }

    private static string Query(string customer) =>
        $"/v1/audit/proofs?customer={customer}&from={InWindow.AddHours(-1):yyyy-MM-ddTHH:mm:ssZ}&to={InWindow.AddHours(1):yyyy-MM-ddTHH:mm:ssZ}";

    private async Task<long> TakeCheckpointAsync()
    {
        var created = await ledger.Client.PostAsync("/v1/audit/checkpoints", null);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.JsonAsync()).GetProperty("id").GetInt64();
    }

    private static string Flip(string hex) => (hex[0] == '0' ? '1' : '0') + hex[1..];
}
