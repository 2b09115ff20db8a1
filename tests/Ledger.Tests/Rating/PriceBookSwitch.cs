using System.Net;
using Ledger.Tests.Support;
using NodaTime;
using static Ledger.Tests.Rating.RatingScenario;
using static Ledger.Tests.Support.RatingProbes;

namespace Ledger.Tests.Rating;

[Collection(LedgerCollection.Name)]
public sealed class when_a_customer_switches_price_book_mid_period(LedgerFixture ledger)
{
    private static readonly Instant Created = Instant.FromUtc(2026, 11, 20, 8, 0);
    private static readonly Instant Switched = Instant.FromUtc(2026, 11, 20, 12, 0);
    private static readonly (DateTimeOffset From, DateTimeOffset To) November = (At("2026-11-01T00:00:00Z"), At("2026-12-01T00:00:00Z"));

    [Fact]
    public async Task usage_before_the_switch_keeps_the_old_book_and_usage_from_it_on_gets_the_new()
    {
        var s = new RatingScenario(ledger);
        var newBook = NewBook();
        await s.PublishAsync(FlatBook("2026-01-01T00:00:00Z", "2.00"));
        await s.PublishAsync(FlatBook("2026-01-01T00:00:00Z", "3.00"), newBook);
        await s.PutCustomerAtAsync(Created);
        foreach (var time in new[] { "2026-11-10T10:00:00Z", "2026-11-20T11:59:59Z", "2026-11-20T12:00:00Z", "2026-11-25T10:00:00Z" })
            await s.SendAsync(At(time), new { model = "m", input_tokens = 1_000_000 });
        await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "8.00");

        await s.PutCustomerAtAsync(Switched, $$"""{"price_book":"{{newBook}}"}""");

        await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "10.00");
        Assert.Equal(new decimal?[] { 2.00m, 2.00m, 3.00m, 3.00m }, (await s.RowsAsync()).Select(r => r.Amount));
        Assert.Equal("4.00", (await s.UsageCaughtUpAsync(November.From, At("2026-11-20T12:00:00Z"))).Total());
    }

    [Fact]
    public async Task usage_sent_after_the_switch_is_priced_by_the_book_in_force_at_its_time()
    {
        var s = new RatingScenario(ledger);
        var newBook = NewBook();
        await s.PublishAsync(FlatBook("2026-01-01T00:00:00Z", "2.00"));
        await s.PublishAsync(FlatBook("2026-01-01T00:00:00Z", "3.00"), newBook);
        await s.PutCustomerAtAsync(Created);
        await s.PutCustomerAtAsync(Switched, $$"""{"price_book":"{{newBook}}"}""");

        await s.SendAsync(At("2026-11-05T10:00:00Z"), new { model = "m", input_tokens = 1_000_000 }); // before the customer existed: the first book
        await s.SendAsync(At("2026-11-20T11:00:00Z"), new { model = "m", input_tokens = 1_000_000 });
        await s.SendAsync(At("2026-11-20T13:00:00Z"), new { model = "m", input_tokens = 1_000_000 });

        await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "7.00");
        Assert.Equal(new decimal?[] { 2.00m, 2.00m, 3.00m }, (await s.RowsAsync()).Select(r => r.Amount));
    }

    [Fact]
    public async Task two_switches_at_the_same_time_are_recorded_one_after_the_other_or_refused_as_a_409_to_send_again()
    {
        var s = new RatingScenario(ledger);
        var books = Enumerable.Range(0, 6).Select(_ => NewBook()).ToList();
        await s.PutCustomerAsync("{}");

        var responses = await Task.WhenAll(books.Select(b => ledger.Client.PutJsonAsync($"/v1/customers/{s.Customer}", $$"""{"price_book":"{{b}}"}""")));

        foreach (var response in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
            Assert.Contains("again", (await LedgerProbes.AssertProblemAsync(response, HttpStatusCode.Conflict)).GetProperty("detail").GetString());
        var history = (await (await ledger.Client.GetAsync($"/v1/customers/{s.Customer}")).JsonAsync()).GetProperty("price_book_history");
        Assert.Equal(1 + responses.Count(r => r.StatusCode == HttpStatusCode.OK), history.GetArrayLength());
    }
}
