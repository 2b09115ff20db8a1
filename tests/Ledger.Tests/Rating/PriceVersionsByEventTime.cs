using Ledger.Tests.Support;
using NodaTime;
using static Ledger.Tests.Rating.RatingScenario;

namespace Ledger.Tests.Rating;

[Collection(LedgerCollection.Name)]
public sealed class when_a_price_changes_at_noon(LedgerFixture ledger)
{
    [Fact]
    public async Task an_event_from_11_59_sent_after_the_change_is_rated_at_the_old_rate_and_one_from_12_00_at_the_new()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(FlatBook("2026-01-01T00:00:00Z", "2.00"));
        await s.PublishAsync(FlatBook("2026-11-20T12:00:00Z", "3.00"));
        await s.PutCustomerAsync();

        await s.SendAsync(At("2026-11-20T11:59:00Z"), new { model = "m", input_tokens = 1_000_000 });
        await s.SendAsync(At("2026-11-20T12:00:00Z"), new { model = "m", input_tokens = 1_000_000 });
        await s.UsageWhenAsync(At("2026-11-20T00:00:00Z"), At("2026-11-21T00:00:00Z"), u => u.Total() == "5.00");

        Assert.Equal("2.00", await s.AmountAtAsync(At("2026-11-20T11:59:00Z")));
        Assert.Equal("3.00", await s.AmountAtAsync(At("2026-11-20T12:00:00Z")));
        Assert.Equal(new int?[] { 1, 2 }, (await s.RowsAsync()).Select(r => r.PriceVersion));
    }

    [Fact]
    public async Task a_version_effective_in_the_future_leaves_current_usage_alone_and_prices_usage_from_its_effective_from()
    {
        var s = new RatingScenario(ledger);
        var now = ledger.Clock.GetCurrentInstant().ToDateTimeOffset();
        var (from, to) = (now.AddHours(-1), now.AddHours(1));
        await s.PublishAsync(FlatBook("2026-01-01T00:00:00Z", "2.00"));
        await s.PutCustomerAsync();
        await s.SendAsync(now.AddMinutes(-1), new { model = "m", input_tokens = 1_000_000 });
        await s.UsageWhenAsync(from, to, u => u.Total() == "2.00");

        await s.PublishAsync(FlatBook(now.AddMinutes(2).ToString("yyyy-MM-ddTHH:mm:ss.fffZ"), "3.00"));
        Assert.Equal("2.00", (await s.UsageCaughtUpAsync(from, to)).Total());

        await s.SendAsync(now.AddMinutes(3), new { model = "m", input_tokens = 1_000_000 });
        await s.UsageWhenAsync(from, to, u => u.Total() == "5.00");
        Assert.Equal(new int?[] { 1, 2 }, (await s.RowsAsync()).Select(r => r.PriceVersion));
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_a_backdated_version_is_published(LedgerFixture ledger)
{
    [Fact]
    public async Task usage_from_its_effective_from_is_rated_again_and_usage_before_it_keeps_its_amount()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(FlatBook("2026-01-01T00:00:00Z", "2.50"));
        await s.PublishAsync(FlatBook("2026-11-20T00:00:00Z", "3.00"));
        await s.PutCustomerAsync();
        foreach (var day in new[] { "2026-11-05", "2026-11-12", "2026-11-22" })
            await s.SendAsync(At($"{day}T10:00:00Z"), new { model = "m", input_tokens = 1_000_000 });
        var (from, to) = (At("2026-11-01T00:00:00Z"), At("2026-12-01T00:00:00Z"));
        await s.UsageWhenAsync(from, to, u => u.Total() == "8.00");

        await s.PublishAsync(FlatBook("2026-11-10T00:00:00Z", "2.00", backdate: true));

        await s.UsageWhenAsync(from, to, u => u.Total() == "7.50");
        Assert.Equal("2.50", await s.AmountAtAsync(At("2026-11-05T10:00:00Z")));
        Assert.Equal("2.00", await s.AmountAtAsync(At("2026-11-12T10:00:00Z")));
        Assert.Equal("3.00", await s.AmountAtAsync(At("2026-11-22T10:00:00Z"))); // the later version still governs from its own start
        Assert.Equal(new int?[] { 1, 3, 2 }, (await s.RowsAsync()).Select(r => r.PriceVersion));
    }

    [Fact]
    public async Task one_effective_in_an_earlier_month_re_rates_that_month_too()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(FlatBook("2026-01-01T00:00:00Z", "2.50"));
        await s.PublishAsync(FlatBook("2026-11-15T00:00:00Z", "3.00"));
        await s.PutCustomerAsync();
        await s.SendAsync(At("2026-10-05T10:00:00Z"), new { model = "m", input_tokens = 1_000_000 });
        await s.SendAsync(At("2026-10-25T10:00:00Z"), new { model = "m", input_tokens = 1_000_000 });
        await s.SendAsync(At("2026-11-05T10:00:00Z"), new { model = "m", input_tokens = 1_000_000 });
        var (from, to) = (At("2026-10-01T00:00:00Z"), At("2026-12-01T00:00:00Z"));
        await s.UsageWhenAsync(from, to, u => u.Total() == "7.50");

        await s.PublishAsync(FlatBook("2026-10-20T00:00:00Z", "1.00", backdate: true));

        await s.UsageWhenAsync(from, to, u => u.Total() == "4.50");
        Assert.Equal(new (decimal?, int?)[] { (2.50m, 1), (1.00m, 3), (1.00m, 3) }, (await s.RowsAsync()).Select(r => (r.Amount, r.PriceVersion)));
    }
}
