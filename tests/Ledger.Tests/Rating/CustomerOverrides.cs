using System.Net;
using System.Text.Json;
using Ledger.Tests.Support;
using static Ledger.Tests.Rating.RatingScenario;
using static Ledger.Tests.Support.LedgerProbes;
using static Ledger.Tests.Support.RatingProbes;

namespace Ledger.Tests.Rating;

[Collection(LedgerCollection.Name)]
public sealed class when_a_customer_has_negotiated_overrides(LedgerFixture ledger)
{
    private static readonly (DateTimeOffset From, DateTimeOffset To) November = (At("2026-11-01T00:00:00Z"), At("2026-12-01T00:00:00Z"));

    /// <summary>The acceptance event: 5.50 under the gpt-4o rule in realtime mode, 3.00 under the batch rule.</summary>
    private static object Acceptance(string mode = "realtime") =>
        new { model = "gpt-4o", mode, input_tokens = 1_200_000, cached_input_tokens = 400_000, output_tokens = 300_000 };

    private async Task<RatingScenario> Gpt4oCustomerAsync()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(Gpt4oBook());
        await s.PutCustomerAsync();
        return s;
    }

    [Fact]
    public async Task a_10_percent_discount_from_an_instant_applies_to_usage_at_or_after_it_only()
    {
        var s = await Gpt4oCustomerAsync();
        await s.SendAsync(At("2026-11-14T23:59:59Z"), Acceptance());
        await s.SendAsync(At("2026-11-15T00:00:00Z"), Acceptance());
        await s.SendAsync(At("2026-11-20T10:00:00Z"), Acceptance());
        await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "16.50");

        await s.PutOverridesAsync("""{"effective_from":"2026-11-15T00:00:00Z","discount_percent":"10"}""");

        await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "15.40"); // 5.50 + 4.95 + 4.95
        Assert.Equal("5.50", await s.AmountAtAsync(At("2026-11-14T23:59:59Z")));
        Assert.Equal("4.95", await s.AmountAtAsync(At("2026-11-15T00:00:00Z")));
        Assert.Equal(new int?[] { null, 1, 1 }, (await s.RowsAsync()).Select(r => r.OverrideVersion));
    }

    [Fact]
    public async Task replacement_rates_for_one_rule_change_the_amounts_of_that_rule_only()
    {
        var s = await Gpt4oCustomerAsync();
        await s.SendAsync(At("2026-11-10T10:00:00Z"), Acceptance("realtime"));
        await s.SendAsync(At("2026-11-10T10:00:01Z"), Acceptance("batch"));
        await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "8.50");

        await s.PutOverridesAsync("""{"effective_from":"2026-11-01T00:00:00Z","rules":{"gpt-4o-batch":{"input":"1.00"}}}""");

        var usage = await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "8.20", groupBy: "mode");
        var byMode = usage.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("mode").GetString()!, g => g.GetProperty("amount").GetString());
        Assert.Equal("5.50", byMode["realtime"]);
        Assert.Equal("2.70", byMode["batch"]); // 1,200,000 × 1.00 + 300,000 × 5.00, per million
    }

    [Fact]
    public async Task overrides_set_before_the_usage_arrives_price_it_as_it_comes()
    {
        var s = await Gpt4oCustomerAsync();
        await s.PutOverridesAsync("""{"effective_from":"2026-11-01T00:00:00Z","discount_percent":"10","rules":{"gpt-4o-batch":{"output":"4.00"}}}""");

        await s.SendAsync(At("2026-11-10T10:00:00Z"), Acceptance("batch"));

        await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "2.43"); // (1.50 + 1.20) × 0.9
    }

    [Fact]
    public async Task the_answer_lists_every_version_of_the_overrides_once()
    {
        var s = await Gpt4oCustomerAsync();
        await s.PutOverridesAsync("""{"effective_from":"2026-11-01T00:00:00Z","discount_percent":"5"}""");

        var answer = await (await ledger.Client.PutJsonAsync($"/v1/customers/{s.Customer}/overrides",
            """{"effective_from":"2026-11-15T00:00:00Z","discount_percent":"7.5"}""")).JsonAsync();

        Assert.Equal([(1, "5"), (2, "7.5")], answer.GetProperty("overrides").EnumerateArray()
            .Select(o => (o.GetProperty("version").GetInt32(), o.GetProperty("discount_percent").GetString())));
    }

    [Fact]
    public async Task overrides_set_at_the_same_time_each_get_their_own_version_or_are_refused_as_a_409_to_send_again()
    {
        var s = await Gpt4oCustomerAsync();

        var responses = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => ledger.Client.PutJsonAsync($"/v1/customers/{s.Customer}/overrides",
            $$"""{"effective_from":"2026-11-{{i:00}}T00:00:00Z","discount_percent":"{{i}}"}""")));

        foreach (var response in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
            Assert.Contains("again", (await AssertProblemAsync(response, HttpStatusCode.Conflict)).GetProperty("detail").GetString());
        var versions = (await (await ledger.Client.GetAsync($"/v1/customers/{s.Customer}")).JsonAsync()).GetProperty("overrides")
            .EnumerateArray().Select(o => o.GetProperty("version").GetInt32()).Order();
        Assert.Equal(Enumerable.Range(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created)), versions);
    }

    [Theory]
    [InlineData("""{"effective_from":"2026-11-01T00:00:00Z","discount_percent":"150"}""", "discount_percent")]
    [InlineData("""{"effective_from":"2026-11-01T00:00:00Z","discount_percent":10}""", "discount_percent")]
    [InlineData("""{"effective_from":"2026-11-01T00:00:00Z","rules":{"gpt-4o":{"input":2.5}}}""", "rules.gpt-4o.input")]
    [InlineData("""{"effective_from":"2026-11-01T00:00:00Z","rules":{"gpt-4o":{"input":"-1"}}}""", "rules.gpt-4o.input")]
    [InlineData("""{"effective_from":"2026-11-01T00:00:00Z","rules":{"no-such-rule":{"input":"1.00"}}}""", "rules.no-such-rule")]
    [InlineData("""{"effective_from":"2026-11-01T00:00:00Z","rules":{"gpt-4o":{"no_such_rate":"1.00"}}}""", "rules.gpt-4o.no_such_rate")]
    [InlineData("""{"discount_percent":"10"}""", "effective_from")]
    public async Task invalid_overrides_are_a_400_problem_naming_the_field_and_change_nothing(string json, string field)
    {
        var s = await Gpt4oCustomerAsync();

        var problem = await AssertProblemAsync(await ledger.Client.PutJsonAsync($"/v1/customers/{s.Customer}/overrides", json), HttpStatusCode.BadRequest, field);

        AssertNamesField(field, problem.GetProperty("detail").GetString()!);
        var customer = await (await ledger.Client.GetAsync($"/v1/customers/{s.Customer}")).JsonAsync();
        Assert.Equal(0, customer.GetProperty("overrides").GetArrayLength());
    }

    [Fact]
    public async Task overrides_for_an_unknown_customer_are_a_404_problem()
    {
        var response = await ledger.Client.PutJsonAsync($"/v1/customers/{NewCustomer()}/overrides",
            """{"effective_from":"2026-11-01T00:00:00Z","discount_percent":"10"}""");

        await AssertProblemAsync(response, HttpStatusCode.NotFound);
    }
}
