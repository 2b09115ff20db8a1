using Ledger.Invoices;
using Ledger.Revenue;
using NodaTime;

namespace Ledger.Tests.Revenue;

/// <summary>The journal's pure rules: posting periods, the daily split of fees, the entries of an invoice.</summary>
public sealed class journal_rules
{
    private static Instant At(string text) => NodaTime.Text.InstantPattern.ExtendedIso.Parse(text).Value;

    [Fact]
    public void an_entry_posts_in_its_month_unless_that_month_is_closed()
    {
        Assert.Equal(new LocalDate(2026, 3, 1), Journal.PostingPeriod(new LocalDate(2026, 3, 20), null));
        Assert.Equal(new LocalDate(2026, 3, 1), Journal.PostingPeriod(new LocalDate(2026, 3, 20), new LocalDate(2026, 3, 1)));
        Assert.Equal(new LocalDate(2026, 4, 1), Journal.PostingPeriod(new LocalDate(2026, 3, 20), new LocalDate(2026, 4, 1)));
    }

    [Fact]
    public void a_fee_is_split_into_days_that_add_up_to_the_invoiced_line()
    {
        var stub = new Interval(At("2026-01-15T12:00:00Z"), At("2026-02-01T00:00:00Z")); // 16.5 days of January
        var exact = 310m * 16.5m / 31m; // 165.00
        var days = Journal.FeeDays(stub, exact, 165.00m, "USD");
        Assert.Equal(17, days.Count);
        Assert.Equal((new LocalDate(2026, 1, 15), 5.00m), days[0]); // half a day
        Assert.All(days.Skip(1), d => Assert.Equal(10.00m, d.Amount));
        Assert.Equal(165.00m, days.Sum(d => d.Amount));
    }

    [Fact]
    public void largest_remainder_hands_out_any_difference_and_mirrors_negatives()
    {
        Assert.Equal([0.34m, 0.33m, 0.33m], Journal.Allocate(1.00m, [1m / 3, 1m / 3, 1m / 3], 2));
        Assert.Equal([-0.34m, -0.33m, -0.33m], Journal.Allocate(-1.00m, [-1m / 3, -1m / 3, -1m / 3], 2));
        // an invoiced line one cent off its own exact share (a run of segments rounded together): still adds up
        Assert.Equal([0.50m, 0.50m], Journal.Allocate(1.00m, [0.495m, 0.495m], 2).ToArray()); // 0.99 exact, 1.00 invoiced
        Assert.Equal([0.49m, 0.49m], Journal.Allocate(0.98m, [0.4951m, 0.4951m], 2).ToArray());
        Assert.Equal([334m, 333m, 333m], Journal.Allocate(1000m, [1000m / 3, 1000m / 3, 1000m / 3], 0));
    }

    [Fact]
    public void an_invoice_moves_exact_unbilled_amounts_and_books_rounding_and_true_up_as_revenue()
    {
        var period = new InvoicePeriod(At("2026-04-01T00:00:00Z"), At("2026-05-01T00:00:00Z"));
        InvoiceLineView Line(string kind, string amount, string exact, InvoicePeriod? segment = null) =>
            new(kind, kind, null, null, null, null, null, amount, exact, segment);
        var invoice = new InvoiceView("inv-1", "INV-1", "c", "USD", period, "issued",
            [Line("fee", "30.00", "30", period), Line("usage", "10.01", "10.005"), Line("allowance", "-5.00", "-5"), Line("credits", "-2.12", "-2.123"),
             Line("commitment_true_up", "7.00", "7")],
            "42.01", "-2.12", "39.89", "39.882", new InvoiceWaiting(0, 0), [], 1, At("2026-05-01T01:00:00Z"));

        var entries = InvoiceEntries.Plan(invoice, 42).ToList();
        Assert.All(entries, e => Assert.True(e.Balanced, e.Source));
        Assert.Equal(30, entries.Count(e => e.Kind == "subscription_fee"));
        Assert.Equal(30.00m, entries.Where(e => e.Kind == "subscription_fee").Sum(e => e.Amount));
        Assert.Equal(7m, entries.Single(e => e.Kind == "commitment_true_up").Amount);
        var issued = entries.Single(e => e.Kind == "invoice");
        // receivable 39.89 − 7.00 true-up; unbilled 30 + (10.005 − 5 − 2.123); rounding 10.01 − 10.005 + (−2.12 + 2.123) = 0.008
        Assert.Equal([new JournalLine("receivable", 32.89m, 0m, "invoice total without the true-up"),
            new JournalLine("unbilled_receivable", 0m, 32.882m, "fee days served and uncovered usage billed"),
            new JournalLine("usage_revenue", 0m, 0.008m, "rounding of invoice lines to minor units")], issued.Lines);
        Assert.Equal((new LocalDate(2026, 5, 1), new LocalDate(2026, 4, 30)), (issued.PostingDate, issued.ServiceDate));
    }
}
