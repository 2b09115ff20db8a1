using System.Globalization;
using Ledger.Kernel;
using NodaTime;
using NodaTime.Text;

namespace Ledger.Invoices;

public sealed record InvoicePeriod(Instant From, Instant To);

/// <summary>The issued invoice an adjustment line corrects, and the period it billed.</summary>
public sealed record InvoiceAdjusts(string Invoice, string Number, InvoicePeriod Period);

/// <summary>
/// One invoice line; money as decimal strings, <see cref="Unrounded"/> the exact amount before its one rounding;
/// <see cref="Segment"/> and <see cref="Timing"/> (advance or arrears) for fee lines, <see cref="Adjusts"/> for lines that correct an
/// earlier invoice.
/// </summary>
public sealed record InvoiceLineView(string Kind, string Description, string? Model, string? Mode, string? Meter, string? Quantity,
    string? UnitPrice, string Amount, string Unrounded, InvoicePeriod? Segment = null, InvoiceAdjusts? Adjusts = null, string? Timing = null);

/// <summary>Usage in the period that is on no line yet: no price covers it, or its customer did not exist when it was rated.</summary>
public sealed record InvoiceWaiting(long Unpriced, long Unassigned);

/// <summary>
/// An invoice as the API shows it: the upcoming one (status draft, no number) or an issued one. Under an included
/// allowance, <see cref="AllowanceApplied"/> (the allowance lines) and <see cref="Overage"/> (the period's usage lines
/// beyond it) summarise the period's usage; both are sums of rounded lines.
/// </summary>
public sealed record InvoiceView(string Id, string? Number, string Customer, string Currency, InvoicePeriod Period, string Status,
    IReadOnlyList<InvoiceLineView> Lines, string Subtotal, string CreditsApplied, string Total, string UnroundedTotal,
    InvoiceWaiting Waiting, IReadOnlyList<string> Limitations, long AsOf, Instant? IssuedAt = null,
    string? AllowanceApplied = null, string? Overage = null);

/// <summary>
/// Builds invoice lines from exact figures with the one rounding rule (docs/invoicing.md): each line is
/// rounded once to the currency's minor unit, half away from zero; subtotal, credits and total are sums
/// of rounded lines, so the lines always add up to the total exactly.
/// </summary>
public static class InvoiceDraft
{
    private const int UnitPriceDecimals = 12;
    private static readonly InstantPattern Day = InstantPattern.CreateWithInvariantCulture("uuuu-MM-dd HH:mm'Z'");

    /// <summary>What an invoice is, apart from its figures: identity, status and the lines decided outside usage (fees, true-up).</summary>
    public sealed record Heading(string Id, string? Number, string Status, string CustomerId, string Currency, Interval Period, Instant? IssuedAt);

    public static InvoiceView Build(Heading h, BillingQuery.Figures f, IReadOnlyList<InvoiceLineView> fees, decimal commitmentTrueUp,
        IReadOnlyList<string> limitations)
    {
        var currency = h.Currency;
        var lines = new List<InvoiceLineView>(fees);
        lines.AddRange(f.Usage.Select(u => Line("usage", Describe(u.Model, u.Mode, u.Meter, u.Events), u.Model, u.Mode, u.Meter, u.Quantity, u.Amount, currency)));
        lines.AddRange(f.Allowance.Select(a => Line("allowance", $"Included allowance used{AllowanceSegment(a.Grant)}", null, null, null, null, -a.Amount, currency)));
        if (commitmentTrueUp != 0)
            lines.Add(Line("commitment_true_up", "Minimum commitment true-up", null, null, null, null, commitmentTrueUp, currency));
        foreach (var a in f.Adjustments)
            lines.Add(Line("adjustment", $"Adjustment to {a.Adjusts.Number}: " + Describe(a.Model, a.Mode, a.Meter, a.Events), a.Model, a.Mode, a.Meter,
                a.Quantity, a.Amount, currency) with { Adjusts = Adjusts(a.Adjusts) });
        foreach (var d in f.AdjustedDrawdowns.Where(d => d.Allowance != 0))
            lines.Add(Line("adjustment", $"Adjustment to {d.Adjusts.Number}: included allowance used", null, null, null, null, -d.Allowance, currency)
                with { Adjusts = Adjusts(d.Adjusts) });
        foreach (var d in f.AdjustedDrawdowns.Where(d => d.Credits != 0))
            lines.Add(Line("credits", $"Prepaid credits applied to adjusted usage of {d.Adjusts.Number}", null, null, null, null, -d.Credits, currency)
                with { Adjusts = Adjusts(d.Adjusts) });
        if (f.Credits != 0) lines.Add(Line("credits", "Prepaid credits applied", null, null, null, null, -f.Credits, currency));

        decimal Sum(IEnumerable<InvoiceLineView> ls, Func<InvoiceLineView, string> amount) => ls.Sum(l => decimal.Parse(amount(l), CultureInfo.InvariantCulture));
        var credits = Sum(lines.Where(l => l.Kind == "credits"), l => l.Amount);
        var subtotal = Sum(lines.Where(l => l.Kind != "credits"), l => l.Amount);
        string M(decimal amount) => new Money(amount, currency).ToMinorUnitsString();
        var allowance = lines.Where(l => l.Kind == "allowance").ToList();
        return new InvoiceView(h.Id, h.Number, h.CustomerId, currency, new InvoicePeriod(h.Period.Start, h.Period.End), h.Status, lines,
            M(subtotal), M(credits), M(subtotal + credits), new Money(Sum(lines, l => l.Unrounded), currency).ToExactString(),
            new InvoiceWaiting(f.Unpriced, f.Unassigned), limitations, f.AsOf, h.IssuedAt,
            allowance.Count == 0 ? null : M(Sum(allowance, l => l.Amount)),
            allowance.Count == 0 ? null : M(Sum(lines.Where(l => l.Kind is "usage" or "allowance"), l => l.Amount)));
    }

    private static InvoiceLineView Line(string kind, string description, string? model, string? mode, string? meter, decimal? quantity, decimal exact, string currency)
    {
        return new InvoiceLineView(kind, description, model, mode, meter, quantity is { } q ? Text(q) : null,
            quantity is { } n and not 0 ? Text(Math.Round(exact / n, UnitPriceDecimals, MidpointRounding.AwayFromZero)) : null,
            new Money(exact, currency).ToMinorUnitsString(), new Money(exact, currency).ToExactString());
    }

    private static InvoiceAdjusts Adjusts(BillingQuery.Adjusted a) => new(a.Invoice, a.Number, new InvoicePeriod(a.From, a.To));

    /// <summary>" (segment from 2027-01-15 00:00Z)" for an allowance drawdown id <c>allowance:{contract}:{segment start}</c>.</summary>
    private static string AllowanceSegment(string grant)
    {
        var parts = grant.Split(':', 3);
        return parts.Length == 3 && InstantPattern.ExtendedIso.Parse(parts[2]) is { Success: true } start
            ? $", contract {parts[1]}, segment from {Day.Format(start.Value)}"
            : "";
    }

    private static string Describe(string? model, string? mode, string meter, long events) =>
        string.Join(" ", new[] { model, mode, meter.Replace('_', ' ') }.Where(p => !string.IsNullOrEmpty(p))) + (events == 1 ? " (1 event)" : $" ({events} events)");

    private static string Text(decimal d) => (d / 1.0000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);
}
