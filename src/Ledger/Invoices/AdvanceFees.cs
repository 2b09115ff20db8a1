using Ledger.Contracts;
using Ledger.Customers;
using Ledger.Kernel;
using Marten;

namespace Ledger.Invoices;

/// <summary>
/// Fees billed in advance (docs/invoicing.md#fees-in-advance-and-in-arrears): the invoice closing a period bills the advance
/// fee of the period after it, as the contract stands then, and settles its own period's: when the advance fee the period
/// should carry now (an amendment, an end, a contract recorded late) differs from what earlier invoices billed for it, the
/// lines billed are reversed, each referencing its invoice, and the period's fee lines are billed as they are now. A line billed
/// belongs to the period its segment starts in (a contract ended early cuts its period short, not the segment billed).
/// </summary>
public static class AdvanceFees
{
    /// <summary>The advance fee lines of <paramref name="period"/>'s invoice: its own period's settled, then the next period's.</summary>
    public static async Task<List<InvoiceLineView>> LinesAsync(IQuerySession session, Customer customer, CustomerPeriod period, CancellationToken ct)
    {
        var issued = (await session.Query<IssuedInvoice>().Where(i => i.CustomerId == customer.CustomerId).ToListAsync(ct))
            .OrderBy(i => i.Seq).Select(i => i.Invoice).ToList();
        var lines = Settle(issued, period, customer.Currency);
        // The next period's fee, unless an invoice billed some of it already or closed that period (closed out of order): then
        // the next period's own close settles it.
        var next = CustomerPeriods.Of(customer, period.Span.End);
        if (BilledFor(issued, next).Count == 0 && !issued.Any(i => i.Period.From == next.Span.Start))
            lines.AddRange(ContractFees.Lines(next, FeeTiming.Advance));
        return lines;
    }

    private static List<InvoiceLineView> Settle(IReadOnlyList<InvoiceView> issued, CustomerPeriod period, string currency)
    {
        var due = ContractFees.Lines(period, FeeTiming.Advance);
        var billed = BilledFor(issued, period);
        var now = due.Select(l => (Segment: l.Segment!, Amount: Parse(l.Amount), Exact: Parse(l.Unrounded))).ToList();
        if (billed.Select(b => (b.Segment, b.Amount, b.Exact)).SequenceEqual(now)) return [];

        var lines = billed.Select(b => new InvoiceLineView("fee",
            $"Advance fee billed on {b.Last.Number} for {ContractFees.Span(new NodaTime.Interval(b.Segment.From, b.Segment.To))}, reversed",
            null, null, null, null, null, new Money(-b.Amount, currency).ToMinorUnitsString(), new Money(-b.Exact, currency).ToExactString(),
            b.Segment, new InvoiceAdjusts(b.Last.Id, b.Last.Number!, b.Last.Period), ContractFees.Name(FeeTiming.Advance))).ToList();
        lines.AddRange(due);
        return lines;
    }

    /// <summary>What issued invoices billed in advance for the period, net per segment, with the last invoice that billed each.</summary>
    private static List<(InvoicePeriod Segment, decimal Amount, decimal Exact, InvoiceView Last)> BilledFor(IReadOnlyList<InvoiceView> issued, CustomerPeriod period) =>
        issued.SelectMany(i => i.Lines.Where(l => l.Kind == "fee" && l.Timing == ContractFees.Name(FeeTiming.Advance) && l.Segment is { } s &&
                                                  period.Span.Contains(s.From))
                .Select(l => (Invoice: i, Line: l)))
            .GroupBy(b => b.Line.Segment!)
            .Select(g => (Segment: g.Key, Amount: g.Sum(b => Parse(b.Line.Amount)), Exact: g.Sum(b => Parse(b.Line.Unrounded)), Last: g.Last().Invoice))
            .Where(s => s.Amount != 0 || s.Exact != 0)
            .OrderBy(s => s.Segment.From).ThenBy(s => s.Segment.To)
            .ToList();

    private static decimal Parse(string amount) => decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture);
}
