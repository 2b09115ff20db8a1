using Ledger.Tests.Support;
using static Ledger.Tests.Rating.RatingScenario;
using static Ledger.Tests.Support.RatingProbes;

namespace Ledger.Tests.Rating;

/// <summary>Tiers count on the billing month's running total of a meter (docs/pricing.md): the month costs the tiered price of its total.</summary>
[Collection(LedgerCollection.Name)]
public sealed class when_a_rate_is_tiered(LedgerFixture ledger)
{
    private static readonly (DateTimeOffset From, DateTimeOffset To) October = (At("2026-10-01T00:00:00Z"), At("2026-11-01T00:00:00Z"));
    private static readonly (DateTimeOffset From, DateTimeOffset To) November = (At("2026-11-01T00:00:00Z"), At("2026-12-01T00:00:00Z"));

    /// <summary>Input tokens per unit (per = 1): the first 1,000 at 2.00, the rest at 1.00.</summary>
    private static string TieredBook(string mode) => $$"""
        { "currency": "USD", "effective_from": "2026-01-01T00:00:00Z", "rules": [
          { "id": "t", "match": { "model": "t" }, "per": 1, "rates": { "output": "0.50" },
            "tiers": { "input": { "mode": "{{mode}}", "steps": [ { "up_to": 1000, "rate": "2.00" }, { "rate": "1.00" } ] } } } ] }
        """;

    private async Task<RatingScenario> TieredCustomerAsync(string mode)
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(TieredBook(mode));
        await s.PutCustomerAsync();
        return s;
    }

    private static async Task SendNovemberAsync(RatingScenario s, params int[] quantities)
    {
        for (var i = 0; i < quantities.Length; i++)
            await s.SendAsync(November.From.AddDays(i + 1), new { model = "t", input_tokens = quantities[i] });
    }

    [Theory]
    [InlineData(2500)]
    [InlineData(400, 700, 300, 1100)]
    [InlineData(1000, 1500)]
    [InlineData(999, 1, 1, 499, 1000)]
    public async Task graduated_tiers_charge_the_month_the_tiered_price_of_its_total_quantity_however_it_is_split(params int[] quantities)
    {
        var s = await TieredCustomerAsync("graduated");

        await SendNovemberAsync(s, quantities);

        var usage = await s.UsageCaughtUpAsync(November.From, November.To);
        Assert.Equal("3500.00", usage.Total()); // 1,000 × 2.00 + 1,500 × 1.00
    }

    [Fact]
    public async Task each_event_is_charged_what_it_adds_to_the_months_tiered_price()
    {
        var s = await TieredCustomerAsync("graduated");

        await SendNovemberAsync(s, 400, 700, 300);

        await s.UsageCaughtUpAsync(November.From, November.To);
        Assert.Equal(new decimal?[] { 800m, 1300m, 300m }, (await s.RowsAsync()).Select(r => r.Amount)); // 400 × 2; 600 × 2 + 100 × 1; 300 × 1
    }

    [Fact]
    public async Task a_new_month_starts_again_at_the_first_tier()
    {
        var s = await TieredCustomerAsync("graduated");
        await s.SendAsync(At("2026-10-20T10:00:00Z"), new { model = "t", input_tokens = 1500 });

        await s.SendAsync(At("2026-11-02T10:00:00Z"), new { model = "t", input_tokens = 500 });

        Assert.Equal("2500.00", (await s.UsageCaughtUpAsync(October.From, October.To)).Total());
        Assert.Equal("1000.00", (await s.UsageCaughtUpAsync(November.From, November.To)).Total());
    }

    [Fact]
    public async Task the_month_is_the_customers_calendar_month_in_its_time_zone()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(TieredBook("graduated"));
        await s.PutCustomerAsync($$"""{"price_book":"{{s.Book}}","time_zone":"Asia/Tokyo"}""");
        await s.SendAsync(At("2026-10-31T14:00:00Z"), new { model = "t", input_tokens = 1000 }); // 23:00 on 31 October in Tokyo
        await s.SendAsync(At("2026-10-31T15:00:00Z"), new { model = "t", input_tokens = 1000 }); // 00:00 on 1 November in Tokyo

        await s.UsageCaughtUpAsync(October.From, November.To);

        Assert.Equal(new decimal?[] { 2000m, 2000m }, (await s.RowsAsync()).Select(r => r.Amount));
    }

    [Fact]
    public async Task after_the_customer_moves_to_another_time_zone_earlier_months_are_counted_again_in_it()
    {
        var s = await TieredCustomerAsync("graduated");
        await s.SendAsync(At("2026-10-31T20:00:00Z"), new { model = "t", input_tokens = 800 }); // October in UTC, 1 November in Tokyo
        await s.SendAsync(At("2026-10-31T10:00:00Z"), new { model = "t", input_tokens = 800 }); // October in both
        await s.UsageCaughtUpAsync(October.From, November.To);
        Assert.Equal(new decimal?[] { 1600m, 1000m }, (await s.RowsAsync()).Select(r => r.Amount)); // 800 × 2; 200 × 2 + 600 × 1

        await s.PutCustomerAtAsync(ledger.Clock.GetCurrentInstant() + NodaTime.Duration.FromMinutes(1), """{"time_zone":"Asia/Tokyo"}""");

        await s.RowsWhenAsync(rows => rows.All(r => r.Amount == 1600m)); // each is now the first of its month
    }

    [Theory]
    [InlineData(new[] { 1200 }, "1200.00")]
    [InlineData(new[] { 600, 600 }, "1200.00")]
    [InlineData(new[] { 900, 200 }, "1100.00")]
    [InlineData(new[] { 1000 }, "2000.00")]
    [InlineData(new[] { 400, 600 }, "2000.00")]
    public async Task volume_tiers_charge_the_months_total_quantity_at_the_rate_of_the_tier_it_reached(int[] quantities, string total)
    {
        var s = await TieredCustomerAsync("volume");

        await SendNovemberAsync(s, quantities);

        Assert.Equal(total, (await s.UsageCaughtUpAsync(November.From, November.To)).Total());
    }

    [Fact]
    public async Task a_flat_rate_beside_a_tiered_one_is_charged_per_event_as_usual()
    {
        var s = await TieredCustomerAsync("graduated");

        await s.SendAsync(At("2026-11-03T10:00:00Z"), new { model = "t", input_tokens = 1200, output_tokens = 10 });

        var usage = await s.UsageCaughtUpAsync(November.From, November.To, groupBy: "meter");
        Assert.Equal("2205.00", usage.Total()); // 1,000 × 2.00 + 200 × 1.00 + 10 × 0.50
        var amounts = usage.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("meter").GetString()!, g => g.GetProperty("amount").GetString());
        Assert.Equal(("2200.00", "5.00"), (amounts["input_tokens"], amounts["output_tokens"]));
    }
}
