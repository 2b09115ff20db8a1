using System.Text.Json;
using Ledger.Tests.Support;
using Ledger.Tests.Webhooks;
using static Ledger.Tests.Support.RatingProbes;

namespace Ledger.Tests.Rating;

/// <summary>Budget thresholds crossed by rated spend reach the customer's webhook endpoint, signed, once per threshold.</summary>
[Collection(LedgerCollection.Name)]
public sealed class when_spend_crosses_a_budget_threshold(LedgerFixture ledger)
{
    private static readonly DateTimeOffset November = new(2026, 11, 10, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task a_signed_budget_webhook_is_delivered_once_per_threshold_crossed()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var endpoints = new Endpoints(ledger);
        var (customer, book) = ($"cust-{Guid.NewGuid():N}", $"book-{Guid.NewGuid():N}");
        var (_, secret) = await endpoints.CreateAsync(receiver.Url(), customer, ["budget.threshold_crossed"]);
        await ledger.Client.PutJsonAsync($"/v1/price-books/{book}", Gpt4oBook());
        await ledger.Client.PutJsonAsync($"/v1/customers/{customer}",
            $$$"""{"price_book":"{{{book}}}","budget":{"amount":"10.00","period":"month","alert_thresholds":[0.5,1.0]}}""");
        var source = CloudEvents.NewSource("budget");
        object Million(int n) => new { model = "gpt-4o", mode = "realtime", input_tokens = n * 1_000_000, output_tokens = 0 };

        await ledger.Client.PostBatchAsync([Event(source, "a", customer, November, Million(2))]); // $5.00: 50% reached
        var first = await receiver.WaitForAsync(1);
        await ledger.Client.PostBatchAsync([Event(source, "b", customer, November, Million(1)), Event(source, "c", customer, November, Million(3))]); // $12.50
        var all = await receiver.WaitForAsync(2);
        await ledger.Client.PostBatchAsync([Event(source, "d", customer, November, Million(1))]);
        await ledger.Client.UsageWhenAsync(customer, "?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z", u => u.Total() == "15.00");
        await Task.Delay(1500); // room for a wrong third delivery (the relay is sub-second)

        Assert.Equal(2, receiver.Requests.Count);
        var bodies = all.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.All(bodies, b => Assert.Equal("budget.threshold_crossed", b.GetProperty("type").GetString()));
        Assert.Equal([0.5m, 1.0m], bodies.Select(b => b.GetProperty("data").GetProperty("threshold").GetDecimal()).Order());
        var half = bodies.Single(b => b.GetProperty("data").GetProperty("threshold").GetDecimal() == 0.5m).GetProperty("data");
        Assert.Equal("5.00", half.GetProperty("spend").GetString());
        Assert.Equal("10.00", half.GetProperty("budget").GetString());
        Assert.All(all, r => Assert.True(WebhookProbes.Verify(secret, r.Headers["Ledger-Signature"], r.Body,
            ledger.Clock.GetCurrentInstant().ToDateTimeOffset(), TimeSpan.FromMinutes(5))));
    }
}
