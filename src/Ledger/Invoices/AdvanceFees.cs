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
    private sealed record Billed(InvoiceView Invoice, InvoiceLineView Line);

    public static async Task<List<InvoiceLineView>> SettleAsync(IQuerySession session, CustomerPeriod period, string customerId, string currency,
        CancellationToken ct)
    {
        var due = ContractFees.Lines(period, FeeTiming.Advance);
        var issued = await session.Query<IssuedInvoice>().Where(i => i.CustomerId == customerId).ToListAsync(ct);
        var billed = issued.OrderBy(i => i.Seq)
            .SelectMany(i => i.Invoice.Lines.Where(l => l.Kind == "fee" && l.Timing == ContractFees.Name(FeeTiming.Advance) && l.Segment is { } s &&
                                                       period.Span.Contains(s.From))
                .Select(l => new Billed(i.Invoice, l)))
            .GroupBy(b => b.Line.Segment!)
            .Select(g => (Segment: g.Key, Amount: g.Sum(b => Parse(b.Line.Amount)), Exact: g.Sum(b => Parse(b.Line.Unrounded)), Last: g.Last().Invoice))
            .Where(s => s.Amount != 0 || s.Exact != 0)
            .OrderBy(s => s.Segment.From).ThenBy(s => s.Segment.To)
            .ToList();
        var now = due.Select(l => (Segment: l.Segment!, Amount: Parse(l.Amount), Exact: Parse(l.Unrounded))).ToList();
        if (billed.Select(b => (b.Segment, b.Amount, b.Exact)).SequenceEqual(now)) return [];

        var lines = billed.Select(b => new InvoiceLineView("fee",
            $"Advance fee billed on {b.Last.Number} for {ContractFees.Span(new NodaTime.Interval(b.Segment.From, b.Segment.To))}, reversed",
            null, null, null, null, null, new Money(-b.Amount, currency).ToMinorUnitsString(), new Money(-b.Exact, currency).ToExactString(),
            b.Segment, new InvoiceAdjusts(b.Last.Id, b.Last.Number!, b.Last.Period), ContractFees.Name(FeeTiming.Advance))).ToList();
        lines.AddRange(due);
        return lines;
    }

    private static decimal Parse(string amount) => decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture);
}
