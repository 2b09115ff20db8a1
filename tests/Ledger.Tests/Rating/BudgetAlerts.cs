using Ledger.Tests.Support;
using NodaTime;
using static Ledger.Tests.Rating.RatingScenario;

namespace Ledger.Tests.Rating;

[Collection(LedgerCollection.Name)]
public sealed class when_spend_reaches_budget_thresholds(LedgerFixture ledger)
{
    private static readonly (DateTimeOffset From, DateTimeOffset To) October = (At("2026-10-01T00:00:00Z"), At("2026-11-01T00:00:00Z"));
    private static readonly (DateTimeOffset From, DateTimeOffset To) November = (At("2026-11-01T00:00:00Z"), At("2026-12-01T00:00:00Z"));

    private async Task<RatingScenario> CustomerWithBudgetAsync()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(FlatBook("2026-01-01T00:00:00Z", "1.00", per: "1")); // one dollar per input token
        await s.PutCustomerAsync($$$"""
            {"price_book":"{{{s.Book}}}","budget":{"amount":"10.00","period":"month","alert_thresholds":[0.5,1.0]}}
            """);
        return s;
    }

    /// <summary>The thresholds recorded for the customer (one BudgetThresholdCrossed per row), in ledger order, with the spend each saw.</summary>
    private async Task<List<(string Stream, decimal Threshold, decimal Spend)>> AlertsAsync(string customer)
    {
        await using var cmd = ledger.Database.CreateCommand("""
            select stream_id, (data->>'threshold')::numeric, (data->'spend'->>'amount')::numeric from ledger.mt_events
            where type = 'budget_threshold_crossed' and stream_id like $1 order by seq_id
            """);
        cmd.Parameters.Add(new() { Value = $"budget-alert/{customer}/%" });
        var alerts = new List<(string, decimal, decimal)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) alerts.Add((reader.GetString(0), reader.GetDecimal(1), reader.GetDecimal(2)));
        return alerts;
    }

    [Fact]
    public async Task reaching_half_records_the_0_5_threshold_once_then_crossing_the_budget_records_1_0_and_more_spend_records_nothing()
    {
        var s = await CustomerWithBudgetAsync();

        await s.SendAsync(At("2026-11-10T10:00:00Z"), new { model = "m", input_tokens = 4 });
        await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "4.00");
        Assert.Empty(await AlertsAsync(s.Customer));

        await s.SendAsync(At("2026-11-11T10:00:00Z"), new { model = "m", input_tokens = 1 });
        await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "5.00");
        var half = Assert.Single(await AlertsAsync(s.Customer));
        Assert.Equal(($"budget-alert/{s.Customer}/2026-11-01T00:00:00Z/0.5", 0.5m, 5.00m), half);

        await s.SendAsync(At("2026-11-12T10:00:00Z"), new { model = "m", input_tokens = 6 });
        await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "11.00");
        Assert.Equal([(0.5m, 5.00m), (1.0m, 11.00m)], (await AlertsAsync(s.Customer)).Select(a => (a.Threshold, a.Spend)));

        await s.SendAsync(At("2026-11-13T10:00:00Z"), new { model = "m", input_tokens = 3 });
        await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "14.00");
        Assert.Equal(2, (await AlertsAsync(s.Customer)).Count);
    }

    [Fact]
    public async Task a_re_rating_of_the_period_records_no_threshold_again()
    {
        var s = await CustomerWithBudgetAsync();
        await s.SendAsync(At("2026-11-10T10:00:00Z"), new { model = "m", input_tokens = 6 });
        await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "6.00");
        Assert.Single(await AlertsAsync(s.Customer));

        await s.PutOverridesAsync("""{"effective_from":"2026-11-01T00:00:00Z","discount_percent":"5"}""");

        await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "5.70");
        Assert.Single(await AlertsAsync(s.Customer));
    }

    [Fact]
    public async Task a_threshold_sent_again_with_another_number_of_decimals_is_the_same_threshold()
    {
        var s = await CustomerWithBudgetAsync();
        await s.SendAsync(At("2026-11-10T10:00:00Z"), new { model = "m", input_tokens = 6 });
        await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "6.00");
        Assert.Single(await AlertsAsync(s.Customer));

        // a new budget amount re-checks the month; 0.50 is the threshold 0.5 already reached
        await s.PutCustomerAtAsync(ledger.Clock.GetCurrentInstant() + NodaTime.Duration.FromMinutes(1),
            """{"budget":{"amount":"11.00","period":"month","alert_thresholds":[0.50,1.00]}}""");
        await s.SendAsync(At("2026-11-11T10:00:00Z"), new { model = "m", input_tokens = 1 });
        await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "7.00");

        Assert.Equal(0.5m, Assert.Single(await AlertsAsync(s.Customer)).Threshold);
    }

    [Fact]
    public async Task each_month_has_its_own_thresholds()
    {
        var s = await CustomerWithBudgetAsync();
        await s.SendAsync(At("2026-10-10T10:00:00Z"), new { model = "m", input_tokens = 6 });
        await s.SendAsync(At("2026-11-10T10:00:00Z"), new { model = "m", input_tokens = 4 });

        await s.UsageCaughtUpAsync(At("2026-10-01T00:00:00Z"), November.To);

        var alert = Assert.Single(await AlertsAsync(s.Customer)); // October reached half, November (4.00) did not
        Assert.StartsWith($"budget-alert/{s.Customer}/2026-10-01T00:00:00Z/", alert.Stream);
    }

    [Fact]
    public async Task a_lowered_budget_raises_no_alert_about_usage_recorded_under_the_old_one_live_or_after_a_rebuild()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(FlatBook("2026-01-01T00:00:00Z", "1.00", per: "1")); // one dollar per input token
        await s.PutCustomerAtAsync(Instant.FromUtc(2026, 10, 1, 0, 0), $$$"""
            {"price_book":"{{{s.Book}}}","budget":{"amount":"100.00","period":"month","alert_thresholds":[1.0]}}
            """);

        await s.SendRecordedAtAsync(Instant.FromUtc(2026, 10, 20, 12, 0), At("2026-10-20T10:00:00Z"), new { model = "m", input_tokens = 60 });
        await s.UsageWhenAsync(October.From, October.To, u => u.Total() == "60.00");
        Assert.Empty(await AlertsAsync(s.Customer));

        // 60.00 is above the new budget, but all of October's usage was recorded under the old one
        await s.PutCustomerAtAsync(Instant.FromUtc(2026, 11, 2, 0, 0), """{"budget":{"amount":"50.00","period":"month","alert_thresholds":[1.0]}}""");
        await s.UsageCaughtUpAsync(October.From, November.To);
        Assert.Empty(await AlertsAsync(s.Customer));

        await RebuildRatingsAsync(ledger);
        Assert.Equal("60.00", (await s.UsageCaughtUpAsync(October.From, October.To)).Total());
        Assert.Empty(await AlertsAsync(s.Customer));

        await s.SendRecordedAtAsync(Instant.FromUtc(2026, 11, 10, 12, 0), At("2026-11-10T10:00:00Z"), new { model = "m", input_tokens = 50 });
        await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "50.00");
        Assert.Equal([($"budget-alert/{s.Customer}/2026-11-01T00:00:00Z/1", 1.0m, 50.00m)], await AlertsAsync(s.Customer));
    }
}
