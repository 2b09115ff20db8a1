using Ledger.Tests.Support;
using static Ledger.Tests.Rating.RatingScenario;
using static Ledger.Tests.Support.RatingProbes;

namespace Ledger.Tests.Rating;

/// <summary>
/// The rated rows are a projection of the log: rebuilding it from the first event must give every
/// row back to the last digit, however the live rows got there (late events, re-ratings, tiers).
/// </summary>
[Collection(LedgerCollection.Name)]
public sealed class when_the_rating_projection_is_rebuilt(LedgerFixture ledger)
{
    private static readonly (DateTimeOffset From, DateTimeOffset To) Autumn = (At("2026-10-01T00:00:00Z"), At("2026-12-01T00:00:00Z"));

    private const string TieredBook = """
        { "currency": "USD", "effective_from": "2026-01-01T00:00:00Z", "rules": [
          { "id": "g", "match": { "model": "m" }, "per": 1,
            "tiers": { "input": { "mode": "graduated", "steps": [ { "up_to": 1000, "rate": "2.00" }, { "rate": "1.00" } ] } } },
          { "id": "v", "match": { "model": "v" }, "per": 1, "rates": { "output": "0.10" },
            "tiers": { "input": { "mode": "volume", "steps": [ { "up_to": 500, "rate": "0.75" }, { "rate": "0.25" } ] } } } ] }
        """;

    [Fact]
    public async Task every_rated_row_and_tier_total_comes_back_to_the_last_digit_and_no_budget_alert_is_recorded_twice()
    {
        var scenarios = new List<RatingScenario>
        {
            await TiersReratedByOverridesAsync(),
            await BackdatedAndFutureVersionsAsync(),
            await PriceBookSwitchAsync(),
            await UnassignedThenUnpricedThenPricedAsync(),
            await FormulaWithBudgetAsync(),
            await TimeZoneChangedAsync(),
            await TiersMovedByALateContractAsync(),
        };
        var before = await SnapshotAsync(scenarios);
        Assert.True(before.Rows.Count >= 20, $"only {before.Rows.Count} rows");
        Assert.Contains(before.Rows, r => r.Contains("|rated|"));
        Assert.Contains(before.Rows, r => r.Contains("|unpriced|"));
        Assert.NotEmpty(before.Tiers);
        Assert.NotEmpty(before.Alerts);

        // so that a rebuild that rewrote nothing cannot pass
        foreach (var tamper in new[]
                 {
                     "update ledger.rated_usage set amount = amount + 1 where customer_id = any($1)",
                     "update ledger.rating_tiers set total = total + 1 where customer_id = any($1)",
                 })
        {
            await using var cmd = ledger.Database.CreateCommand(tamper);
            cmd.Parameters.Add(new() { Value = scenarios.Select(s => s.Customer).ToArray() });
            await cmd.ExecuteNonQueryAsync();
        }

        await RebuildRatingsAsync(ledger);

        var after = await SnapshotAsync(scenarios);
        Assert.Equal(before.Rows, after.Rows);
        Assert.Equal(before.Tiers, after.Tiers);
        Assert.Equal(before.Alerts, after.Alerts);
    }

    private sealed record Snapshot(List<string> Rows, List<string> Tiers, List<string> Alerts);

    private async Task<Snapshot> SnapshotAsync(List<RatingScenario> scenarios)
    {
        foreach (var s in scenarios) await s.UsageCaughtUpAsync(Autumn.From, Autumn.To);
        var customers = scenarios.Select(s => s.Customer).ToArray();
        return new Snapshot(
            await ReadAsync("""
                select concat_ws('|', seq, customer_id, status, amount::text, price_book, price_version, rule_id, override_version, reason, lines::text)
                from ledger.rated_usage where customer_id = any($1) order by seq
                """, customers),
            await ReadAsync("""
                select concat_ws('|', customer_id, period_start, price_book, rule_id, meter, total::text)
                from ledger.rating_tiers where customer_id = any($1) order by 1
                """, customers),
            await ReadAsync("""
                select concat_ws('|', seq_id, stream_id, data::text) from ledger.mt_events
                where type = 'budget_threshold_crossed' and split_part(stream_id, '/', 2) = any($1) order by seq_id
                """, customers));
    }

    private async Task<List<string>> ReadAsync(string sql, string[] customers)
    {
        await using var cmd = ledger.Database.CreateCommand(sql);
        cmd.Parameters.Add(new() { Value = customers });
        var rows = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        return rows;
    }

    private async Task<RatingScenario> TiersReratedByOverridesAsync()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(TieredBook);
        await s.PutCustomerAsync($$"""{"price_book":"{{s.Book}}","time_zone":"Europe/Berlin"}""");
        foreach (var (time, model, input) in new[]
                 {
                     ("2026-10-30T10:00:00Z", "m", 700), ("2026-11-02T10:00:00Z", "m", 600), ("2026-11-20T10:00:00Z", "m", 900),
                     ("2026-11-05T10:00:00Z", "m", 333), // late: earlier in the month than the one before, after it in the ledger
                     ("2026-10-31T23:30:00Z", "v", 450), // 1 November in Berlin
                     ("2026-11-03T10:00:00Z", "v", 100), ("2026-11-04T10:00:00Z", "v", 7),
                 })
            await s.SendAsync(At(time), new { model, input_tokens = input, output_tokens = 3 });
        await s.UsageCaughtUpAsync(Autumn.From, Autumn.To);
        await s.PutOverridesAsync("""{"effective_from":"2026-11-10T00:00:00Z","discount_percent":"12.5"}""");
        await s.SendAsync(At("2026-11-12T10:00:00Z"), new { model = "m", input_tokens = 51, output_tokens = 0 });
        return s;
    }

    private async Task<RatingScenario> BackdatedAndFutureVersionsAsync()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(FlatBook("2026-01-01T00:00:00Z", "2.50"));
        await s.PublishAsync(FlatBook("2026-11-20T00:00:00Z", "3.00"));
        await s.PutCustomerAsync();
        foreach (var day in new[] { "2026-10-15", "2026-11-05", "2026-11-12", "2026-11-22" })
            await s.SendAsync(At($"{day}T10:00:00Z"), new { model = "m", input_tokens = 1_234_567 });
        await s.UsageCaughtUpAsync(Autumn.From, Autumn.To);
        await s.PublishAsync(FlatBook("2026-11-10T00:00:00Z", "2.00", backdate: true));
        await s.PublishAsync(FlatBook("2027-06-01T00:00:00Z", "9.99"));
        await s.SendAsync(At("2026-11-11T10:00:00Z"), new { model = "m", input_tokens = 1 });
        return s;
    }

    private async Task<RatingScenario> PriceBookSwitchAsync()
    {
        var s = new RatingScenario(ledger);
        var other = NewBook();
        await s.PublishAsync(FlatBook("2026-01-01T00:00:00Z", "2.00"));
        await s.PublishAsync(FlatBook("2026-01-01T00:00:00Z", "3.00"), other);
        await s.PutCustomerAtAsync(NodaTime.Instant.FromUtc(2026, 11, 1, 0, 0));
        foreach (var time in new[] { "2026-10-20T10:00:00Z", "2026-11-10T10:00:00Z", "2026-11-20T10:00:00Z" })
            await s.SendAsync(At(time), new { model = "m", input_tokens = 1_000_001 });
        await s.UsageCaughtUpAsync(Autumn.From, Autumn.To);
        await s.PutCustomerAtAsync(NodaTime.Instant.FromUtc(2026, 11, 15, 0, 0), $$"""{"price_book":"{{other}}"}""");
        return s;
    }

    private async Task<RatingScenario> UnassignedThenUnpricedThenPricedAsync()
    {
        var s = new RatingScenario(ledger);
        await s.SendAsync(At("2026-11-08T10:00:00Z"), new { model = "m", input_tokens = 1_000 });
        await s.SendAsync(At("2026-11-09T10:00:00Z"), new { model = "o3", input_tokens = 1_000 });
        await s.SendAsync(At("2026-11-10T10:00:00Z"), new { model = "nothing-matches", input_tokens = 1_000 });
        await s.RowsWhenAsync(rows => rows.Count == 3 && rows.All(r => r.Status == "unassigned"));
        await s.PublishAsync(FlatBook("2026-01-01T00:00:00Z", "2.00"));
        await s.PutCustomerAsync();
        await s.UsageCaughtUpAsync(Autumn.From, Autumn.To);
        await s.PublishAsync($$"""
            { "currency": "USD", "effective_from": "2026-11-09T00:00:00Z", "rules": [
              { "id": "m", "match": { "model": "m" }, "per": 1000000, "rates": { "input": "2.00" } },
              { "id": "o3", "match": { "model": "o3" }, "per": 1000000, "rates": { "input": "10.00" } } ] }
            """);
        return s;
    }

    private async Task<RatingScenario> TimeZoneChangedAsync()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(TieredBook);
        await s.PutCustomerAsync();
        await s.SendAsync(At("2026-10-31T20:00:00Z"), new { model = "m", input_tokens = 800 }); // October in UTC, 1 November in Tokyo
        await s.SendAsync(At("2026-10-31T10:00:00Z"), new { model = "m", input_tokens = 800 }); // October in both
        await s.UsageCaughtUpAsync(Autumn.From, Autumn.To);
        await s.PutCustomerAtAsync(ledger.Clock.GetCurrentInstant() + NodaTime.Duration.FromMinutes(1), """{"time_zone":"Asia/Tokyo"}""");
        return s;
    }

    private async Task<RatingScenario> TiersMovedByALateContractAsync()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(TieredBook);
        await s.PutCustomerAsync();
        await s.SendAsync(At("2026-11-10T10:00:00Z"), new { model = "m", input_tokens = 800 });
        await s.SendAsync(At("2026-11-20T10:00:00Z"), new { model = "m", input_tokens = 800 });
        await s.UsageCaughtUpAsync(Autumn.From, Autumn.To);
        // Periods from October 15: the tier totals move from calendar November to [Oct 15, Nov 15) and [Nov 15, Dec 15).
        var started = await ledger.Client.PostAsync($"/v1/customers/{s.Customer}/contracts", new StringContent(
            """{"starts_at": "2026-10-15T00:00:00Z", "period": {"kind": "month", "anchor_day": 15}}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Created, started.StatusCode);
        await s.SendAsync(At("2026-11-25T10:00:00Z"), new { model = "m", input_tokens = 800 });
        return s;
    }

    private async Task<RatingScenario> FormulaWithBudgetAsync()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(Gpt4oBook());
        await s.PutCustomerAsync($$$"""
            {"price_book":"{{{s.Book}}}","budget":{"amount":"10.00","period":"day","alert_thresholds":[0.5,1.0]}}
            """);
        await s.SendAsync(At("2026-11-10T10:00:00Z"), new { model = "gpt-4o", mode = "realtime", input_tokens = 1_200_000, cached_input_tokens = 400_000, output_tokens = 300_000 });
        await s.SendAsync(At("2026-11-10T11:00:00Z"), new { model = "gpt-4o", mode = "batch", input_tokens = 1_200_000, output_tokens = 300_000 });
        await s.SendAsync(At("2026-11-10T12:00:00Z"), new { model = "gpt-4o", mode = "realtime", input_tokens = 777, cached_input_tokens = 333, output_tokens = 1 });
        await s.SendAsync(At("2026-11-10T13:00:00Z"), new { model = "gpt-4o", mode = "realtime", input_tokens = 900_000, output_tokens = 100_000 });
        await s.UsageCaughtUpAsync(Autumn.From, Autumn.To);
        await s.PutOverridesAsync("""{"effective_from":"2026-11-10T11:30:00Z","rules":{"gpt-4o":{"cached_input":"0.625"}}}""");
        return s;
    }
}
