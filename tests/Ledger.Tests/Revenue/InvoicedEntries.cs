using Ledger.Tests.Invoices;
using Ledger.Tests.Support;

namespace Ledger.Tests.Revenue;

[Collection(LedgerCollection.Name)]
public sealed class when_usage_and_fees_are_invoiced(LedgerFixture ledger)
{
    private readonly JournalScenario _journal = new(ledger);

    [Fact]
    public async Task overage_is_unbilled_receivable_until_invoiced()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-09-10T12:00:00Z", 1_234_567); // 1.234567 at $1 per million, no credit
        await _journal.PostAsync();

        var usage = Assert.Single(await _journal.EntriesAsync(s.Customer));
        Assert.Equal(("usage_uncovered", 1.234567m, ("unbilled_receivable", "usage_revenue"), "2026-09-10", "2026-09"),
            (usage.Kind, usage.Amount, usage.Pair, usage.ServiceDate, usage.PostingPeriod));
        var balances = await _journal.BalancesAsync(s.Customer);
        Assert.Equal((1.234567m, 0m, -1.234567m), (balances["unbilled_receivable"], balances["receivable"], balances["usage_revenue"]));
    }

    [Fact]
    public async Task an_issued_invoice_moves_unbilled_to_receivable()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-09-10T12:00:00Z", 1_234_567);
        await s.UseAsync("2026-09-11T12:00:00Z", 2_000_000);
        await _journal.PostAsync();
        var invoice = await s.IssuedAsync("2026-09-01");
        Assert.Equal("3.23", InvoiceScenario.S(invoice, "total"));
        await _journal.PostAsync();

        var issued = Assert.Single(await _journal.EntriesAsync(s.Customer), e => e.Kind == "invoice");
        // The line is rounded to 3.23; the exact 3.234567 leaves unbilled, and the 0.004567 rounding is usage revenue given back.
        Assert.Equal([("receivable", 3.23m, 0m), ("unbilled_receivable", 0m, 3.234567m), ("usage_revenue", 0.004567m, 0m)], issued.Lines);
        Assert.Equal(InvoiceScenario.S(invoice, "id"), issued.Json.GetProperty("cause").GetProperty("invoice").GetString());
        Assert.Equal("2026-09-30", issued.ServiceDate);
        var balances = await _journal.BalancesAsync(s.Customer);
        Assert.Equal((0m, 3.23m, -3.23m), (balances["unbilled_receivable"], balances["receivable"], balances["usage_revenue"]));
    }

    [Fact]
    public async Task a_fee_in_arrears_is_recognised_ratably_per_day_from_unbilled()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.StartContractAsync($$$"""
            {"id": "fee-{{{s.Customer}}}", "starts_at": "2026-04-01T00:00:00Z", "period": {"kind": "month", "anchor_day": 1},
             "fee": {"amount": "100.00", "timing": "arrears"}}
            """);
        var invoice = await s.IssuedAsync("2026-04-01");
        Assert.Equal([("fee", null, "100.00")], InvoiceScenario.Lines(invoice));
        await _journal.PostAsync();

        var days = (await _journal.EntriesAsync(s.Customer)).Where(e => e.Kind == "subscription_fee").OrderBy(e => e.ServiceDate).ToList();
        // 100.00 × 1/30 a day = 3.333…: 3.33 each, and the 10 cents left go to the earliest days (equal remainders).
        Assert.Equal(Enumerable.Range(1, 30).Select(d => $"2026-04-{d:00}"), days.Select(d => d.ServiceDate));
        Assert.Equal(Enumerable.Repeat(3.34m, 10).Concat(Enumerable.Repeat(3.33m, 20)), days.Select(d => d.Amount));
        Assert.All(days, d => Assert.Equal(("unbilled_receivable", "subscription_revenue", "2026-04"), (d.Pair.Debit, d.Pair.Credit, d.PostingPeriod)));
        var balances = await _journal.BalancesAsync(s.Customer);
        Assert.Equal((-100m, 0m, 100m), (balances["subscription_revenue"], balances["unbilled_receivable"], balances["receivable"]));
    }

    [Fact]
    public async Task a_fee_billed_in_advance_is_deferred_until_each_day_is_served()
    {
        // A monthly contract from yesterday: the calendar stub before it has ended, so closing it bills the first period's fee,
        // whose days from today on are not served yet (the ledger's clock stands still for the run).
        var today = ledger.Clock.GetCurrentInstant().InUtc().Date;
        var start = today.PlusDays(-1);
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.StartContractAsync($$$"""
            {"id": "adv-{{{s.Customer}}}", "starts_at": "{{{start:yyyy-MM-dd}}}T00:00:00Z", "period": {"kind": "month", "anchor_day": {{{start.Day}}}},
             "fee": {"amount": "310.00", "timing": "advance"}}
            """);
        var stub = await s.IssuedAsync($"{(start.Day == 1 ? start.PlusMonths(-1) : start.With(NodaTime.DateAdjusters.StartOfMonth)):yyyy-MM-dd}");
        Assert.Equal([("fee", null, "310.00")], InvoiceScenario.Lines(stub));
        await _journal.PostAsync();

        var entries = await _journal.EntriesAsync(s.Customer);
        var served = Assert.Single(entries, e => e.Kind == "subscription_fee");     // yesterday: served before it was billed
        Assert.Equal(($"{start:yyyy-MM-dd}", ("unbilled_receivable", "subscription_revenue")), (served.ServiceDate, served.Pair));
        var ahead = entries.Where(e => e.Kind == "subscription_fee_advance").ToList();
        Assert.All(ahead, d => Assert.Equal(("contract_liability", "subscription_revenue", d.ServiceDate[..7]), (d.Pair.Debit, d.Pair.Credit, d.PostingPeriod)));
        Assert.All(ahead, d => Assert.True(string.CompareOrdinal(d.ServiceDate, $"{today:yyyy-MM-dd}") >= 0));
        Assert.Equal(310m, served.Amount + ahead.Sum(d => d.Amount));
        var issued = Assert.Single(entries, e => e.Kind == "invoice");
        Assert.Equal([("receivable", 310m, 0m), ("unbilled_receivable", 0m, served.Amount), ("contract_liability", 0m, ahead.Sum(d => d.Amount))], issued.Lines);

        // At this month's end the days after it are deferred revenue; once all are served, nothing is.
        var month = $"{today:yyyy-MM}";
        var later = ahead.Where(d => string.CompareOrdinal(d.PostingPeriod, month) > 0).Sum(d => d.Amount);
        Assert.True(later > 0);
        var endOfMonth = await _journal.BalancesAsync(s.Customer, month);
        Assert.Equal((310m, -later, 0m), (endOfMonth["receivable"], endOfMonth["contract_liability"], endOfMonth["unbilled_receivable"]));
        var all = await _journal.BalancesAsync(s.Customer);
        Assert.Equal((0m, -310m), (all["contract_liability"], all["subscription_revenue"]));

        var row = Assert.Single((await _journal.GetAsync($"/v1/reports/deferred-revenue?customer={s.Customer}&from={month}&to={month}"))
            .GetProperty("periods").EnumerateArray());
        Assert.Equal(("0.00", $"{ahead.Sum(d => d.Amount):0.00}", $"{ahead.Sum(d => d.Amount) - later:0.00}", $"{later:0.00}"),
            (row.GetProperty("opening").GetString(), row.GetProperty("billings").GetString(), row.GetProperty("recognised").GetString(),
             row.GetProperty("closing").GetString()));
    }

    [Fact]
    public async Task a_minimum_commitment_true_up_is_recognised_at_period_end_and_billed()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.StartContractAsync($$$"""
            {"id": "min-{{{s.Customer}}}", "starts_at": "2026-05-01T00:00:00Z", "period": {"kind": "month", "anchor_day": 1},
             "minimum_commitment": {"amount": "50.00"}}
            """);
        await s.UseAsync("2026-05-05T00:00:00Z", 10_000_000); // 10.00
        var invoice = await s.IssuedAsync("2026-05-01");
        Assert.Equal("50.00", InvoiceScenario.S(invoice, "total"));
        await _journal.PostAsync();

        var trueUp = Assert.Single(await _journal.EntriesAsync(s.Customer), e => e.Kind == "commitment_true_up");
        Assert.Equal((40m, ("receivable", "usage_revenue"), "2026-05-31"), (trueUp.Amount, trueUp.Pair, trueUp.ServiceDate));
        var balances = await _journal.BalancesAsync(s.Customer);
        Assert.Equal((0m, 50m, -50m), (balances["unbilled_receivable"], balances["receivable"], balances["usage_revenue"]));
    }
}
