using Ledger.Kernel;
using Ledger.Pricing;
using Ledger.Usage;
using NodaTime;
using NodaTime.Text;

namespace Ledger.Tests.Pricing;

public sealed class when_usage_is_rated
{
    private static Instant At(string text) => InstantPattern.General.Parse(text).Value;

    private static PriceRule Rule(string id, string match, string formula, params (string Name, decimal Rate)[] rates) => new(id,
        match.Length == 0 ? new Dictionary<string, string>() : match.Split(',').Select(m => m.Split('=')).ToDictionary(p => p[0], p => p[1]),
        1_000_000m, rates.ToDictionary(r => r.Name, r => r.Rate), formula.Length == 0 ? null : formula);

    private static PriceBook Book(params PriceBookVersionPublished[] versions) => new() { PriceBookId = "standard", Versions = [.. versions] };

    private static PriceBookVersionPublished Version(int number, string from, params PriceRule[] rules) =>
        new("standard", number, "USD", At(from), rules, false, At(from), "key");

    /// <summary>The gpt-4o price book of the pricing issue: OpenAI-style cached tokens are part of the input tokens.</summary>
    private static readonly PriceBook Gpt4o = Book(Version(1, "2026-01-01T00:00:00Z",
        Rule("gpt-4o", "model=gpt-4o",
            "(input_tokens - cached_input_tokens) * input + cached_input_tokens * cached_input + output_tokens * output",
            ("input", 2.50m), ("cached_input", 1.25m), ("output", 10.00m)),
        Rule("gpt-4o-batch", "model=gpt-4o,mode=batch", "", ("input", 1.25m), ("output", 5.00m))));

    private static UsageRecorded Usage(string mode, string time = "2026-11-01T10:00:00Z", params (string Meter, decimal Quantity)[] meters) =>
        new("acme", "//tests", Guid.NewGuid().ToString(), "ai.usage", At(time), At(time),
            meters.Length == 0
                ? new Dictionary<string, decimal> { ["input_tokens"] = 1_200_000, ["cached_input_tokens"] = 400_000, ["output_tokens"] = 300_000 }
                : meters.ToDictionary(m => m.Meter, m => m.Quantity),
            new Dictionary<string, string> { ["model"] = "gpt-4o", ["mode"] = mode }, null, "hash");

    private static RatingOutcome Rate(UsageRecorded usage, string currency, PriceBook? book) =>
        new Rater().Rate(usage, Customer(currency, book is null ? null : "standard"), book, new TierCounters());

    private static Ledger.Customers.Customer Customer(string currency, string? book) => new()
    {
        CustomerId = "acme", Currency = currency, TimeZone = "UTC",
        PriceBooks = [new Ledger.Customers.PriceBookAssignment(At("2026-01-01T00:00:00Z"), book)]
    };

    [Fact]
    public void the_acceptance_example_costs_5_50_in_realtime_mode()
    {
        var rated = Assert.IsType<Rated>(Rate(Usage("realtime"), "USD", Gpt4o));
        Assert.Equal(new Money(5.50m, "USD"), rated.Amount); // 800,000 × 2.50 + 400,000 × 1.25 + 300,000 × 10.00, per million
        Assert.Equal(("gpt-4o", 1), (rated.RuleId, rated.Version));
    }

    [Fact]
    public void the_same_event_in_batch_mode_costs_3_00_under_the_more_specific_batch_rule()
    {
        var rated = Assert.IsType<Rated>(Rate(Usage("batch"), "USD", Gpt4o));
        Assert.Equal(new Money(3.00m, "USD"), rated.Amount); // 1,200,000 × 1.25 + 300,000 × 5.00, per million
        Assert.Equal("gpt-4o-batch", rated.RuleId);
        Assert.Equal(rated.Amount.Amount, rated.Lines.Sum(l => l.Amount));
        Assert.Equal(1.50m, rated.Lines.Single(l => l.Meter == "input_tokens").Amount);
    }

    [Fact]
    public void anthropic_style_cache_reads_and_writes_are_priced_in_addition_to_input()
    {
        var book = Book(Version(1, "2026-01-01T00:00:00Z", Rule("claude", "model=gpt-4o",
            "input_tokens * input + cache_read_input_tokens * cache_read + cache_creation_input_tokens * cache_write + output_tokens * output",
            ("input", 3.00m), ("cache_read", 0.30m), ("cache_write", 3.75m), ("output", 15.00m))));
        var usage = Usage("realtime", meters: [("input_tokens", 1000), ("cache_read_input_tokens", 2000), ("cache_creation_input_tokens", 500), ("output_tokens", 300)]);

        var rated = Assert.IsType<Rated>(Rate(usage, "USD", book));
        Assert.Equal(0.009975m, rated.Amount.Amount); // (1000 × 3 + 2000 × 0.30 + 500 × 3.75 + 300 × 15) / 1,000,000
    }

    [Fact]
    public void an_event_is_priced_by_the_version_in_force_at_its_time_not_its_arrival()
    {
        var book = Book(
            Version(1, "2026-11-01T00:00:00Z", Rule("r", "model=gpt-4o", "", ("input", 2.00m))),
            Version(2, "2026-11-27T12:00:00Z", Rule("r", "model=gpt-4o", "", ("input", 3.00m))));

        var late = Assert.IsType<Rated>(Rate(Usage("realtime", "2026-11-27T11:59:00Z", ("input_tokens", 1_000_000)), "USD", book));
        var after = Assert.IsType<Rated>(Rate(Usage("realtime", "2026-11-27T12:00:00Z", ("input_tokens", 1_000_000)), "USD", book));

        Assert.Equal((2.00m, 1), (late.Amount.Amount, late.Version));
        Assert.Equal((3.00m, 2), (after.Amount.Amount, after.Version));
    }

    [Fact]
    public void amounts_keep_full_precision() =>
        Assert.Equal(0.0000025m, Assert.IsType<Rated>(Rate(Usage("batch", meters: [("input_tokens", 2)]), "USD", Gpt4o)).Amount.Amount);

    [Theory]
    [InlineData("none", "USD", "2026-11-01T10:00:00Z", "no price book")]
    [InlineData("gpt4o", "USD", "2025-06-01T00:00:00Z", "no version")]
    [InlineData("gpt4o", "EUR", "2026-11-01T10:00:00Z", "billed in EUR")]
    public void an_event_that_no_price_covers_is_unpriced_with_the_reason(string book, string currency, string time, string reason)
    {
        var outcome = Rate(Usage("realtime", time), currency, book == "none" ? null : Gpt4o);
        Assert.Contains(reason, Assert.IsType<Unpriced>(outcome).Reason);
    }

    [Fact]
    public void an_event_no_rule_matches_is_unpriced_naming_its_dimensions()
    {
        var usage = Usage("realtime") with { Dimensions = new Dictionary<string, string> { ["model"] = "o3" } };
        Assert.Contains("model=o3", Assert.IsType<Unpriced>(Rate(usage, "USD", Gpt4o)).Reason);
    }

    [Fact]
    public void an_amount_too_large_for_a_decimal_is_unpriced_not_wrong()
    {
        var usage = Usage("realtime", meters: [("input_tokens", 79_000_000_000_000_000_000_000_000_000m), ("cached_input_tokens", 0), ("output_tokens", 0)]);
        Assert.Contains("28-digit", Assert.IsType<Unpriced>(Rate(usage, "USD", Gpt4o)).Reason);
    }
}
