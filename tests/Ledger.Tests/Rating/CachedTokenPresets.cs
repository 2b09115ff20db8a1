using System.Text.Json;
using Ledger.Tests.Support;
using static Ledger.Tests.Rating.RatingScenario;
using static Ledger.Tests.Support.RatingProbes;

namespace Ledger.Tests.Rating;

/// <summary>The two ways providers count cached prompt tokens, each one formula away (docs/pricing.md, "Presets for cached tokens").</summary>
[Collection(LedgerCollection.Name)]
public sealed class when_cached_tokens_are_priced_through_the_ledger(LedgerFixture ledger)
{
    private static readonly (DateTimeOffset From, DateTimeOffset To) November = (At("2026-11-01T00:00:00Z"), At("2026-12-01T00:00:00Z"));

    private const string AnthropicBook = """
        { "currency": "USD", "effective_from": "2026-01-01T00:00:00Z", "rules": [
          { "id": "claude", "match": { "model": "claude-sonnet" }, "per": 1000000,
            "rates": { "input": "3.00", "cache_read": "0.30", "cache_write": "3.75", "output": "15.00" },
            "formula": "input_tokens * input + cache_read_input_tokens * cache_read + cache_creation_input_tokens * cache_write + output_tokens * output" } ] }
        """;

    private static Dictionary<string, (decimal Quantity, string? Amount)> ByMeter(JsonElement usage) =>
        usage.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("meter").GetString()!,
            g => (g.GetProperty("quantity").GetDecimal(), g.GetProperty("amount").GetString()));

    [Fact]
    public async Task openai_style_cached_tokens_are_part_of_the_input_tokens_and_priced_at_the_cached_rate_instead()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(Gpt4oBook());
        await s.PutCustomerAsync();

        await s.SendAsync(At("2026-11-10T10:00:00Z"),
            new { model = "gpt-4o", mode = "realtime", input_tokens = 2_000_000, cached_input_tokens = 1_500_000, output_tokens = 100_000 });

        // 500,000 × 2.50 + 1,500,000 × 1.25 + 100,000 × 10.00, per million = 1.25 + 1.875 + 1.00
        var usage = await s.UsageWhenAsync(November.From, November.To, u => u.Total() != "0.00", groupBy: "meter");
        Assert.Equal("4.125", usage.Total());
        var meters = ByMeter(usage);
        Assert.Equal((2_000_000m, "5.00"), meters["input_tokens"]);
        Assert.Equal((1_500_000m, "-1.875"), meters["cached_input_tokens"]); // 1,500,000 × (1.25 − 2.50): a subset of input, repriced
        Assert.Equal((100_000m, "1.00"), meters["output_tokens"]);
    }

    [Fact]
    public async Task anthropic_style_cache_reads_and_writes_are_priced_in_addition_to_the_input_tokens()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(AnthropicBook);
        await s.PutCustomerAsync();

        await s.SendAsync(At("2026-11-10T10:00:00Z"), new
        {
            model = "claude-sonnet", input_tokens = 1_000, cache_read_input_tokens = 2_000, cache_creation_input_tokens = 500, output_tokens = 300
        });

        // (1,000 × 3.00 + 2,000 × 0.30 + 500 × 3.75 + 300 × 15.00) / 1,000,000
        var usage = await s.UsageWhenAsync(November.From, November.To, u => u.Total() != "0.00", groupBy: "meter");
        Assert.Equal("0.009975", usage.Total());
        var meters = ByMeter(usage);
        Assert.Equal((1_000m, "0.003"), meters["input_tokens"]);
        Assert.Equal((2_000m, "0.0006"), meters["cache_read_input_tokens"]);
        Assert.Equal((500m, "0.001875"), meters["cache_creation_input_tokens"]);
        Assert.Equal((300m, "0.0045"), meters["output_tokens"]);
    }
}
