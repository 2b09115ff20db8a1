using System.Net;
using System.Text;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Pricing;

[Collection(LedgerCollection.Name)]
public sealed class when_a_price_book_is_published(LedgerFixture ledger)
{
    public const string Gpt4o = """
        {"currency":"USD","effective_from":"2026-01-01T00:00:00Z","rules":[
          {"id":"gpt-4o","match":{"model":"gpt-4o"},"per":1000000,
           "rates":{"input":"2.50","cached_input":"1.25","output":"10.00"},
           "formula":"(input_tokens - cached_input_tokens) * input + cached_input_tokens * cached_input + output_tokens * output"},
          {"id":"gpt-4o-batch","match":{"model":"gpt-4o","mode":"batch"},"per":1000000,"rates":{"input":"1.25","output":"5.00"}}]}
        """;

    private static string NewBook() => $"book-{Guid.NewGuid():N}";

    private Task<HttpResponseMessage> Publish(string book, string json) =>
        ledger.Client.PutAsync($"/v1/price-books/{book}", new StringContent(json, Encoding.UTF8, "application/json"));

    private static string Version(string effectiveFrom, string input = "2.50", string extra = "") =>
        $$$"""{"effective_from":"{{{effectiveFrom}}}"{{{extra}}},"rules":[{"id":"r","match":{"model":"m"},"per":1000000,"rates":{"input":"{{{input}}}"}}]}""";

    [Fact]
    public async Task it_is_stored_as_version_1_with_rates_as_decimal_strings()
    {
        var book = NewBook();
        Assert.Equal(HttpStatusCode.Created, (await Publish(book, Gpt4o)).StatusCode);

        var stored = await (await ledger.Client.GetAsync($"/v1/price-books/{book}")).JsonAsync();
        var version = stored.GetProperty("versions")[0];
        Assert.Equal(1, version.GetProperty("version").GetInt32());
        Assert.Equal("2026-01-01T00:00:00Z", version.GetProperty("effective_from").GetString());
        Assert.Equal("2.50", version.GetProperty("rules")[0].GetProperty("rates").GetProperty("input").GetString());
        Assert.Equal("batch", version.GetProperty("rules")[1].GetProperty("match").GetProperty("mode").GetString());
    }

    [Fact]
    public async Task later_versions_are_added_and_an_earlier_one_needs_backdate()
    {
        var book = NewBook();
        await Publish(book, Version("2026-01-01T00:00:00Z"));
        Assert.Equal(HttpStatusCode.Created, (await Publish(book, Version("2026-06-01T00:00:00Z", "2.00"))).StatusCode);

        await AssertProblemAsync(await Publish(book, Version("2026-03-01T00:00:00Z", "2.25")), HttpStatusCode.Conflict);
        var backdated = await Publish(book, Version("2026-03-01T00:00:00Z", "2.25", ",\"backdate\":true"));
        Assert.Equal(HttpStatusCode.Created, backdated.StatusCode);

        var versions = (await backdated.JsonAsync()).GetProperty("versions");
        Assert.Equal(3, versions.GetArrayLength());
        Assert.True(versions[2].GetProperty("backdated").GetBoolean());
    }

    [Fact]
    public async Task the_currency_of_a_price_book_cannot_change()
    {
        var book = NewBook();
        await Publish(book, Version("2026-01-01T00:00:00Z"));
        await AssertProblemAsync(await Publish(book, Version("2026-02-01T00:00:00Z", extra: ",\"currency\":\"EUR\"")), HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("""{"effective_from":"2026-01-01T00:00:00Z","rules":[{"id":"r","rates":{"input":2.5}}]}""", "rules[0].rates.input", "decimal string")]
    [InlineData("""{"effective_from":"2026-01-01T00:00:00Z","rules":[{"id":"r","rates":{"input":"abc"}}]}""", "rules[0].rates.input", "not a non-negative decimal")]
    [InlineData("""{"effective_from":"2026-01-01T00:00:00Z","rules":[{"id":"r","rates":{"input":"-1"}}]}""", "rules[0].rates.input", "not a non-negative decimal")]
    [InlineData("""{"effective_from":"2026-01-01T00:00:00Z","rules":[{"id":"r","rates":{"input":"1"}},{"id":"r","match":{"model":"x"},"rates":{"input":"1"}}]}""", "rules[1].id", "used twice")]
    [InlineData("""{"effective_from":"2026-01-01T00:00:00Z","rules":[{"id":"a","match":{"model":"gpt-4o"},"rates":{"input":"1"}},{"id":"b","match":{"model":"gpt-4o"},"rates":{"input":"2"}}]}""", "rules", "\"a\" and \"b\" are equally specific")]
    [InlineData("""{"effective_from":"2026-01-01T00:00:00Z","rules":[{"id":"a","match":{"model":"gpt-4o","mode":"batch"},"rates":{"input":"1"}},{"id":"b","match":{"model":"gpt-4o","region":"eu"},"rates":{"input":"2"}}]}""", "rules", "equally specific")]
    [InlineData("""{"effective_from":"2026-01-01T00:00:00Z","rules":[{"id":"r","rates":{"input":"1"},"formula":"input_tokens * inptu"}]}""", "rules[0].formula", "unknown variable \"inptu\"")]
    [InlineData("""{"effective_from":"2026-01-01T00:00:00Z","rules":[{"id":"r","rates":{"input":"1"},"formula":"input_tokens *"}]}""", "rules[0].formula", "rule \"r\": the formula ends too early")]
    [InlineData("""{"effective_from":"2026-01-01T00:00:00Z","rules":[{"id":"r","rates":{"input":"1"},"formula":"input_tokens * inptu"}]}""", "rules[0].formula", "at position 15 of the formula")]
    [InlineData("""{"effective_from":"2026-01-01T00:00:00Z","rules":[{"id":"r","per":0,"rates":{"input":"1"}}]}""", "rules[0].per", "positive whole number")]
    [InlineData("""{"effective_from":"2026-01-01T00:00:00Z","rules":[]}""", "rules", "at least one rule")]
    [InlineData("""{"rules":[{"id":"r","rates":{"input":"1"}}]}""", "effective_from", "RFC 3339")]
    [InlineData("""{"currency":"XYZ","effective_from":"2026-01-01T00:00:00Z","rules":[{"id":"r","rates":{"input":"1"}}]}""", "currency", "ISO 4217")]
    public async Task an_invalid_version_is_refused_naming_the_rule_and_field_and_nothing_is_published(string json, string field, string fragment)
    {
        var book = NewBook();
        var problem = await AssertProblemAsync(await Publish(book, json), HttpStatusCode.BadRequest, field);
        Assert.Contains(fragment, problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await ledger.Client.GetAsync($"/v1/price-books/{book}")).StatusCode);
    }

    [Fact]
    public async Task rules_of_different_specificity_or_exclusive_conditions_are_not_ambiguous()
    {
        var response = await Publish(NewBook(), """
            {"effective_from":"2026-01-01T00:00:00Z","rules":[
              {"id":"any","rates":{"input":"3"}},
              {"id":"gpt","match":{"model":"gpt-4o"},"rates":{"input":"2"}},
              {"id":"mini","match":{"model":"gpt-4o-mini"},"rates":{"input":"1"}},
              {"id":"gpt-batch","match":{"model":"gpt-4o","mode":"batch"},"rates":{"input":"1"}}]}
            """);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}
