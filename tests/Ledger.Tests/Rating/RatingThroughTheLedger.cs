using System.Net;
using Ledger.Tests.Support;
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
