using System.Net;
using System.Text;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Pricing;

[Collection(LedgerCollection.Name)]
public sealed class when_a_price_book_has_tiers(LedgerFixture ledger)
{
    private static string NewBook() => $"book-{Guid.NewGuid():N}";

    private Task<HttpResponseMessage> Publish(string book, string json) =>
        ledger.Client.PutAsync($"/v1/price-books/{book}", new StringContent(json, Encoding.UTF8, "application/json"));

    private static string Rule(string body) => $$"""{"effective_from":"2026-01-01T00:00:00Z","rules":[{"id":"r","match":{"model":"m"},"per":1,{{body}}}]}""";

    [Fact]
    public async Task the_tiers_are_stored_with_the_version_rates_as_decimal_strings()
    {
        var book = NewBook();
        var published = await Publish(book, Rule("""
            "tiers":{"input":{"mode":"volume","steps":[{"up_to":1000,"rate":"2.00"},{"up_to":5000,"rate":"1.50"},{"rate":"1.00"}]}}
            """));
        Assert.Equal(HttpStatusCode.Created, published.StatusCode);

        var tiers = (await (await ledger.Client.GetAsync($"/v1/price-books/{book}")).JsonAsync())
            .GetProperty("versions")[0].GetProperty("rules")[0].GetProperty("tiers").GetProperty("input");
        Assert.Equal("volume", tiers.GetProperty("mode").GetString());
        Assert.Equal([(1000m, "2.00"), (5000m, "1.50"), (null, "1.00")], tiers.GetProperty("steps").EnumerateArray().Select(s =>
            (s.TryGetProperty("up_to", out var upTo) ? upTo.GetDecimal() : (decimal?)null, s.GetProperty("rate").GetString())));
    }

    [Theory]
    [InlineData(""" "rates":{"input":"1.00"},"formula":"input_tokens * input","tiers":{"output":{"steps":[{"up_to":10,"rate":"2.00"},{"rate":"1.00"}]}} """,
        "rules[0].tiers", "remove the formula or the tiers")]
    [InlineData(""" "tiers":{"input":{"steps":[{"up_to":1000,"rate":"2.00"},{"up_to":2000,"rate":"1.00"}]}} """,
        "rules[0].tiers.input.steps[1].up_to", "last tier")]
    [InlineData(""" "tiers":{"input":{"steps":[{"up_to":1000,"rate":"2.00"},{"up_to":1000,"rate":"1.50"},{"rate":"1.00"}]}} """,
        "rules[0].tiers.input.steps[1].up_to", "above the previous tier")]
    [InlineData(""" "tiers":{"input":{"steps":[{"up_to":1000,"rate":"2.00"},{"up_to":500,"rate":"1.50"},{"rate":"1.00"}]}} """,
        "rules[0].tiers.input.steps[1].up_to", "above the previous tier")]
    [InlineData(""" "tiers":{"input":{"steps":[{"rate":"2.00"},{"rate":"1.00"}]}} """,
        "rules[0].tiers.input.steps[0].up_to", "needs up_to")]
    [InlineData(""" "rates":{"input":"1.00"},"tiers":{"input":{"steps":[{"up_to":1000,"rate":"2.00"},{"rate":"1.00"}]}} """,
        "rules[0].tiers.input", "both flat")]
    [InlineData(""" "tiers":{"input":{"steps":[{"up_to":1000,"rate":2.0},{"rate":"1.00"}]}} """,
        "rules[0].tiers.input.steps[0].rate", "decimal string")]
    [InlineData(""" "tiers":{"input":{"mode":"stepped","steps":[{"rate":"1.00"}]}} """,
        "rules[0].tiers.input.mode", "graduated")]
    [InlineData(""" "tiers":{"input":{"steps":[]}} """,
        "rules[0].tiers.input.steps", "at least one step")]
    public async Task invalid_tiers_are_refused_naming_the_field_and_nothing_is_published(string body, string field, string fragment)
    {
        var book = NewBook();

        var problem = await AssertProblemAsync(await Publish(book, Rule(body.Trim())), HttpStatusCode.BadRequest, field);

        Assert.Contains(fragment, problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await ledger.Client.GetAsync($"/v1/price-books/{book}")).StatusCode);
    }
}
