using Ledger.Contracts;
using Ledger.Customers;
using NodaTime;
using NodaTime.Text;

namespace Ledger.Invoices;

/// <summary>
/// The fee lines of a contract's billing period with one timing: one per segment (an amendment inside the period starts a
/// new one), each the fee in force prorated by the segment's share of the full period (a stub's share of the period it is
/// cut from). Consecutive segments under one fee are split with largest remainder, so their lines add up to that fee
/// prorated once (docs/invoicing.md#proration-and-rounding).
/// </summary>
public static class ContractFees
{
    private static readonly InstantPattern Day = InstantPattern.CreateWithInvariantCulture("uuuu-MM-dd HH:mm'Z'");

    public static List<InvoiceLineView> Lines(CustomerPeriod period, FeeTiming timing)
    {
        if (period.Contract is not { } contract) return [];
        var fullPeriod = contract.Cycle.FullPeriodOf(contract.StartsAt, period.Span.Start, BillingPeriods.Zone(contract.TimeZone));
        var lines = new List<InvoiceLineView>();
        foreach (var run in Contract.Runs(contract.Segments(period.Span), t => t.Fee).Where(r => r[0].Version.Terms.Fee!.Timing == timing))
        {
            var fee = run[0].Version.Terms.Fee!;
            var spans = run.Select(s => s.Span).ToList();
            var parts = Proration.Split(fee.Amount, fullPeriod, spans);
            for (var i = 0; i < run.Count; i++)
            {
                var span = spans[i];
                var exact = Proration.Prorate(fee.Amount, span, fullPeriod);
                lines.Add(new InvoiceLineView("fee", $"Subscription fee ({Name(timing)}), {Span(span)}" +
                        (span == fullPeriod ? "" : $", {Percent(Proration.Fraction(span, fullPeriod))} of the period"),
                    null, null, null, null, fee.Amount.ToString(), parts[i].ToMinorUnitsString(), exact.ToExactString(),
                    new InvoicePeriod(span.Start, span.End), Timing: Name(timing)));
            }
        }
        return lines;
    }

    public static string Name(FeeTiming timing) => timing.ToString().ToLowerInvariant();

    public static string Span(Interval span) => $"{Day.Format(span.Start)} – {Day.Format(span.End)}";

    private static string Percent(decimal fraction) =>
        Math.Round(fraction * 100m, 2, MidpointRounding.AwayFromZero).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) + " %";
}
