using System.Net;
using System.Text.Json;
using Ledger.Tests.Support;
using static Ledger.Tests.Rating.RatingScenario;
using static Ledger.Tests.Support.RatingProbes;

namespace Ledger.Tests.Rating;

[Collection(LedgerCollection.Name)]
public sealed class when_no_rule_matches_an_event(LedgerFixture ledger)
{
    private static readonly DateTimeOffset Time = At("2026-11-10T10:00:00Z");
    private static readonly (DateTimeOffset, DateTimeOffset) November = (At("2026-11-01T00:00:00Z"), At("2026-12-01T00:00:00Z"));

    private static string WithO3Rule(string effectiveFrom) => $$"""
        { "currency": "USD", "effective_from": "{{effectiveFrom}}", "rules": [
          { "id": "m", "match": { "model": "m" }, "per": 1000000, "rates": { "input": "2.00" } },
          { "id": "o3", "match": { "model": "o3" }, "per": 1000000, "rates": { "input": "10.00" } } ] }
        """;

    private async Task<RatingScenario> O3EventWithoutARuleAsync()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(FlatBook("2026-01-01T00:00:00Z", "2.00"));
        await s.PutCustomerAsync();
        await s.SendAsync(Time, new { model = "o3", mode = "realtime", input_tokens = 1_000_000 });
        return s;
    }

    private async Task<List<JsonElement>> ListedAsync(string customer) =>
        (await (await ledger.Client.GetAsync($"/v1/usage/unpriced?customer={customer}")).JsonAsync())
        .GetProperty("events").EnumerateArray().ToList();

    [Fact]
    public async Task a_limit_that_is_not_a_number_is_a_400_problem_not_the_default()
    {
        var response = await ledger.Client.GetAsync("/v1/usage/unpriced?limit=abc");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("limit", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task it_is_listed_as_unpriced_with_a_reason_naming_the_model_and_counted_as_waiting()
    {
        var s = await O3EventWithoutARuleAsync();

        var usage = await s.UsageWhenAsync(November.Item1, November.Item2, u => u.GetProperty("waiting").GetProperty("unpriced").GetInt64() == 1);

        Assert.Equal("0.00", usage.Total());
        var listed = Assert.Single(await ListedAsync(s.Customer));
        Assert.Equal(("unpriced", "e1", s.Source), (listed.GetProperty("status").GetString(), listed.GetProperty("id").GetString(), listed.GetProperty("source").GetString()));
        Assert.Contains("model=o3", listed.GetProperty("reason").GetString());
        Assert.Equal(0, usage.GetProperty("waiting").GetProperty("unassigned").GetInt64());
    }

    [Fact]
    public async Task it_is_rated_and_leaves_the_list_once_a_version_with_a_matching_rule_is_published()
    {
        var s = await O3EventWithoutARuleAsync();
        await s.UsageWhenAsync(November.Item1, November.Item2, u => u.GetProperty("waiting").GetProperty("unpriced").GetInt64() == 1);

        await s.PublishAsync(WithO3Rule("2026-11-01T00:00:00Z"));

        var usage = await s.UsageWhenAsync(November.Item1, November.Item2, u => u.Total() == "10.00");
        Assert.Equal(0, usage.GetProperty("waiting").GetProperty("unpriced").GetInt64());
        Assert.Empty(await ListedAsync(s.Customer));
        Assert.Equal(("rated", 2), (await s.RowsAsync()).Select(r => (r.Status, r.PriceVersion!.Value)).Single());
    }

    [Fact]
    public async Task a_matching_rule_that_takes_effect_after_the_event_leaves_it_unpriced()
    {
        var s = await O3EventWithoutARuleAsync();
        await s.UsageWhenAsync(November.Item1, November.Item2, u => u.GetProperty("waiting").GetProperty("unpriced").GetInt64() == 1);

        await s.PublishAsync(WithO3Rule("2026-11-15T00:00:00Z"));

        var usage = await s.UsageCaughtUpAsync(November.Item1, November.Item2);
        Assert.Equal(1, usage.GetProperty("waiting").GetProperty("unpriced").GetInt64());
        Assert.Contains("version 1", Assert.Single(await ListedAsync(s.Customer)).GetProperty("reason").GetString());
    }
}
