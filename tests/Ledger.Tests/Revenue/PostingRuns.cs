using System.Net;
using System.Text;
using Ledger.Tests.Invoices;
using Ledger.Tests.Rating;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.RatingProbes;

namespace Ledger.Tests.Revenue;

[Collection(LedgerCollection.Name)]
public sealed class when_facts_change_after_they_were_posted(LedgerFixture ledger)
{
    private readonly JournalScenario _journal = new(ledger);

    private Task<HttpResponseMessage> CloseAsync(string period) =>
        ledger.Client.PostAsync($"/v1/accounting/periods/{period}/close", new StringContent("", Encoding.UTF8, "application/json"));

    [Fact]
    public async Task late_usage_after_an_accounting_period_closes_posts_to_the_open_period_with_its_service_date()
    {
        // March 2021: a month no other test uses, so closing it (and every month before it) changes nothing the other tests look at.
        var s = new InvoiceScenario(ledger);
        await s.Rating.PublishAsync(RatingScenario.FlatBook("2021-01-01T00:00:00Z", "1.00"));
        await s.Rating.PutCustomerAsync();
        await s.UseAsync("2021-03-10T08:00:00Z", 1_000_000);
        await _journal.PostAsync();
        var before = Assert.Single(await _journal.EntriesAsync(s.Customer));
        Assert.Equal(("2021-03-10", "2021-03"), (before.ServiceDate, before.PostingPeriod));

        var closed = await CloseAsync("2021-03");
        Assert.True(closed.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await closed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await CloseAsync("2021-03")).StatusCode); // closing again: answered, nothing recorded
        Assert.Equal(HttpStatusCode.OK, (await CloseAsync("2021-02")).StatusCode); // an earlier month is closed with it

        await s.UseAsync("2021-03-20T08:00:00Z", 2_000_000); // arrives late
        await _journal.PostAsync();
        var entries = await _journal.EntriesAsync(s.Customer);
        Assert.Equal(before, entries[0], EntryComparer); // the closed period's entry is untouched
        var late = entries[1];
        Assert.Equal(("usage_uncovered", 2m, "2021-03-20", "2021-04"), (late.Kind, late.Amount, late.ServiceDate, late.PostingPeriod));
        // March's books as closed: only what was posted before the close.
        Assert.Equal(1m, (await _journal.BalancesAsync(s.Customer, asOf: "2021-03"))["unbilled_receivable"]);
        Assert.Equal(3m, (await _journal.BalancesAsync(s.Customer, asOf: "2021-04"))["unbilled_receivable"]);
    }

    [Fact]
    public async Task closing_a_period_needs_a_month_that_has_ended()
    {
        var bad = await CloseAsync("2021-3-01");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("period", (await bad.JsonAsync()).GetProperty("field").GetString());
        var current = ledger.Clock.GetCurrentInstant().InUtc().Date;
        Assert.Equal(HttpStatusCode.Conflict, (await CloseAsync($"{current:yyyy-MM}")).StatusCode);
    }

    [Fact]
    public async Task rerated_usage_posts_the_difference()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-08-10T12:00:00Z", 3_000_000); // 3.00
        await _journal.PostAsync();
        var first = Assert.Single(await _journal.EntriesAsync(s.Customer));

        await s.Rating.PublishAsync(RatingScenario.FlatBook("2026-08-01T00:00:00Z", "2.50", backdate: true)); // now 7.50
        await ledger.Client.UsageWhenAsync(s.Customer, "?from=2026-08-01T00:00:00Z&to=2026-09-01T00:00:00Z", u => u.Total() == "7.50");
        await _journal.PostAsync();

        var entries = await _journal.EntriesAsync(s.Customer);
        Assert.Equal(2, entries.Count);
        Assert.Equal(first, entries[0], EntryComparer);
        Assert.Equal(("usage_uncovered", 4.5m, "2026-08-10"), (entries[1].Kind, entries[1].Amount, entries[1].ServiceDate));
        Assert.Equal(-7.5m, (await _journal.BalancesAsync(s.Customer))["usage_revenue"]);

        await s.Rating.PublishAsync(RatingScenario.FlatBook("2026-08-05T00:00:00Z", "0.50", backdate: true)); // now 1.50: a reversal
        await ledger.Client.UsageWhenAsync(s.Customer, "?from=2026-08-01T00:00:00Z&to=2026-09-01T00:00:00Z", u => u.Total() == "1.50");
        await _journal.PostAsync();
        var reversal = (await _journal.EntriesAsync(s.Customer))[2];
        Assert.Equal((-6m, ("usage_revenue", "unbilled_receivable")), (reversal.Amount, reversal.Pair));
        Assert.Equal(-1.5m, (await _journal.BalancesAsync(s.Customer))["usage_revenue"]);
    }

    [Fact]
    public async Task posting_twice_posts_nothing_new()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-07-01T12:00:00Z", 1_000_000);
        await s.UseAsync("2026-07-02T12:00:00Z", 1_000_000);
        await _journal.RatedAsync();
        await Task.WhenAll(_journal.PostAsync(), _journal.PostAsync()); // concurrent runs take turns
        var once = await _journal.EntriesAsync(s.Customer);
        Assert.Equal(2, once.Count);

        await _journal.PostAsync();
        Assert.Equal(once, await _journal.EntriesAsync(s.Customer), EntryComparer);
        Assert.Equal(-2m, (await _journal.BalancesAsync(s.Customer))["usage_revenue"]);
        var after = await _journal.PostAsync();
        Assert.Equal(0, after.GetProperty("entries").GetInt32()); // nothing happened between the two: the second run posts nothing at all
    }

    private static readonly IEqualityComparer<JournalScenario.Entry> EntryComparer =
        EqualityComparer<JournalScenario.Entry>.Create((a, b) => a!.Json.GetRawText() == b!.Json.GetRawText(), e => e.Id.GetHashCode());
}
