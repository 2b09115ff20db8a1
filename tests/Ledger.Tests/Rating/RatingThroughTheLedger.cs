using System.Net;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;
using static Ledger.Tests.Support.RatingProbes;

namespace Ledger.Tests.Rating;

[Collection(LedgerCollection.Name)]
public sealed class when_usage_reaches_the_rating_projection(LedgerFixture ledger)
{
    private static readonly DateTimeOffset November = new(2026, 11, 10, 10, 0, 0, TimeSpan.Zero);
    private const string Window = "?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z";

    private async Task<(string Customer, string Book)> CustomerWithGpt4oBook()
    {
        var (customer, book) = ($"cust-{Guid.NewGuid():N}", $"book-{Guid.NewGuid():N}");
        Assert.Equal(HttpStatusCode.Created, (await ledger.Client.PutJsonAsync($"/v1/price-books/{book}", Gpt4oBook())).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await ledger.Client.PutJsonAsync($"/v1/customers/{customer}", $$"""{"price_book":"{{book}}"}""")).StatusCode);
        return (customer, book);
    }

    [Fact]
    public async Task the_acceptance_example_is_5_50_in_realtime_and_3_00_in_batch_mode_through_http()
    {
        var (customer, _) = await CustomerWithGpt4oBook();
        var source = CloudEvents.NewSource("rating");
        var meters = new { model = "gpt-4o", mode = "realtime", input_tokens = 1_200_000, cached_input_tokens = 400_000, output_tokens = 300_000 };
        await ledger.Client.PostBatchAsync([
            Event(source, "rt", customer, November, meters),
            Event(source, "batch", customer, November, meters with { mode = "batch" })]);

        var usage = await ledger.Client.UsageWhenAsync(customer, Window + "&group_by=mode", u => u.Total() == "8.50");

        var groups = usage.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("mode").GetString()!, g => g.GetProperty("amount").GetString());
        Assert.Equal("5.50", groups["realtime"]);
        Assert.Equal("3.00", groups["batch"]);
        Assert.Equal("USD", usage.GetProperty("currency").GetString());
        Assert.True(usage.GetProperty("as_of").GetInt64() > 0);
    }

    [Fact]
    public async Task usage_of_an_unknown_customer_is_kept_as_unassigned_and_rated_once_the_customer_exists()
    {
        var customer = $"cust-{Guid.NewGuid():N}";
        var book = $"book-{Guid.NewGuid():N}";
        await ledger.Client.PutJsonAsync($"/v1/price-books/{book}", Gpt4oBook());
        var source = CloudEvents.NewSource("unassigned");
        await ledger.Client.PostBatchAsync([Event(source, "early", customer, November,
            new { model = "gpt-4o", mode = "realtime", input_tokens = 1_000_000, output_tokens = 0 })]);

        await WaitForWaitingAsync(customer, "unassigned");
        await ledger.Client.PutJsonAsync($"/v1/customers/{customer}", $$"""{"price_book":"{{book}}"}""");

        var usage = await ledger.Client.UsageWhenAsync(customer, Window, u => u.Total() == "2.50");
        Assert.Equal(0, usage.GetProperty("waiting").GetProperty("unassigned").GetInt64());
    }

    [Fact]
    public async Task looking_up_an_event_shows_its_price_the_terms_that_produced_it_and_the_amount_per_meter()
    {
        var (customer, book) = await CustomerWithGpt4oBook();
        var source = CloudEvents.NewSource("lookup");
        await ledger.Client.PostBatchAsync([Event(source, "e1", customer, November,
            new { model = "gpt-4o", mode = "realtime", input_tokens = 1_200_000, cached_input_tokens = 400_000, output_tokens = 300_000 })]);
        await ledger.Client.UsageWhenAsync(customer, Window, u => u.Total() == "5.50");

        var rating = (await ledger.Client.StoredEventAsync(source, "e1")).GetProperty("rating");

        Assert.Equal("rated", rating.GetProperty("status").GetString());
        Assert.Equal("5.50", rating.GetProperty("amount").GetString());
        Assert.Equal((book, 1, "gpt-4o"), (rating.GetProperty("price_book").GetString(), rating.GetProperty("price_version").GetInt32(), rating.GetProperty("rule").GetString()));
        var lines = rating.GetProperty("lines").EnumerateArray().ToDictionary(l => l.GetProperty("meter").GetString()!, l => l.GetProperty("amount").GetString());
        Assert.Equal("3.00", lines["input_tokens"]);
        Assert.Equal("-0.50", lines["cached_input_tokens"]);
        Assert.Equal("3.00", lines["output_tokens"]);
    }

    private async Task WaitForWaitingAsync(string customer, string status)
    {
        for (var i = 0; i < 150; i++)
        {
            var page = await (await ledger.Client.GetAsync($"/v1/usage/unpriced?customer={customer}")).JsonAsync();
            if (page.GetProperty("events").EnumerateArray().Any(e => e.GetProperty("status").GetString() == status)) return;
            await Task.Delay(100);
        }
        Assert.Fail($"no {status} usage listed for {customer}");
    }
}
