using Ledger.Invoices;
using NodaTime;

namespace Ledger.Revenue;

/// <summary>
/// The entries an issued invoice causes (docs/revenue.md#invoices): its subscription fees recognised day by day of service (a day
/// billed before it is served from the contract liability the invoice creates, any other from unbilled), and the invoice itself
/// moving what it bills to receivable.
/// </summary>
public static class InvoiceEntries
{
    private static readonly HashSet<string> NotUsage = ["fee", "commitment_true_up"];

    public static IEnumerable<PlannedEntry> Plan(InvoiceView invoice, long sequence)
    {
        var cause = new Dictionary<string, object?> { ["invoice"] = invoice.Id, ["number"] = invoice.Number, ["event_sequence"] = sequence };
        var issued = Journal.UtcDate(invoice.IssuedAt ?? invoice.Period.To);
        var lastDay = Journal.UtcDate(invoice.Period.To - Duration.Epsilon);
        var (fees, advance) = (0m, 0m);
        for (var i = 0; i < invoice.Lines.Count; i++)
        {
            var line = invoice.Lines[i];
            if (line.Kind != "fee" || line.Segment is not { } segment) continue;
            var amount = Journal.Parse(line.Amount);
            foreach (var (day, part) in Journal.FeeDays(new Interval(segment.From, segment.To), Journal.Parse(line.Unrounded), amount, invoice.Currency))
            {
                // Billed before its day of service: deferred until then. A day served before its invoice was accrued as unbilled.
                var deferred = line.Timing == "advance" && day >= issued;
                if (deferred) advance += part;
                else fees += part;
                if (part != 0)
                    yield return PlannedEntry.TwoLine(deferred ? EntryKind.SubscriptionFeeAdvance : EntryKind.SubscriptionFee, invoice.Customer,
                        invoice.Currency, day, day, part, $"invoice:{invoice.Id}:fee:{i}:{day:yyyy-MM-dd}", new Dictionary<string, object?>(cause) { ["line"] = i },
                        $"Subscription fee for {day:yyyy-MM-dd} ({invoice.Number}, line {i + 1})");
            }
        }

        // Usage, allowance, adjustment and credits lines: what they move out of unbilled is their exact (unrounded) amount,
        // the uncovered usage the journal accrued; the rounding of those lines to minor units is usage revenue.
        var usageLike = invoice.Lines.Where(l => !NotUsage.Contains(l.Kind)).ToList();
        var exact = usageLike.Sum(l => Journal.Parse(l.Unrounded));
        var rounding = usageLike.Sum(l => Journal.Parse(l.Amount)) - exact;
        var trueUp = invoice.Lines.Where(l => l.Kind == "commitment_true_up").Sum(l => Journal.Parse(l.Amount));
        if (trueUp != 0) // recognised at the period's end, billed straight to receivable
            yield return PlannedEntry.TwoLine(EntryKind.CommitmentTrueUp, invoice.Customer, invoice.Currency, lastDay, lastDay, trueUp,
                $"invoice:{invoice.Id}:true-up", cause, $"Minimum commitment true-up ({invoice.Number})");
        var billed = Journal.Parse(invoice.Total) - trueUp;
        var lines = new[]
        {
            JournalLine.Signed(Accounts.Receivable, billed, "invoice total without the true-up"),
            JournalLine.Signed(Accounts.UnbilledReceivable, -(fees + exact), "fee days served and uncovered usage billed"),
            JournalLine.Signed(Accounts.ContractLiability, -advance, "fee days not served yet (billed in advance)"),
            JournalLine.Signed(Accounts.UsageRevenue, -rounding, "rounding of invoice lines to minor units")
        }.Where(l => l.Debit != 0 || l.Credit != 0).ToList();
        if (lines.Count > 0)
            yield return new PlannedEntry(EntryKind.Invoice, invoice.Customer, invoice.Currency, issued, lastDay, billed, $"invoice:{invoice.Id}", cause,
                $"Invoice {invoice.Number} issued for {invoice.Period.From} – {invoice.Period.To}", lines);
    }
}
