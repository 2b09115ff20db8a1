using System.Globalization;
using Ledger.Kernel;
using NodaTime;

namespace Ledger.Invoices;

public sealed record InvoicePeriod(Instant From, Instant To);

/// <summary>One invoice line; money as decimal strings, <see cref="Unrounded"/> the exact amount before its one rounding; <see cref="Segment"/> for fee lines.</summary>
public sealed record InvoiceLineView(string Kind, string Description, string? Model, string? Mode, string? Meter, string? Quantity,
    string? UnitPrice, string Amount, string Unrounded, InvoicePeriod? Segment = null);

/// <summary>Usage in the period that is on no line yet: no price covers it, or its customer did not exist when it was rated.</summary>
public sealed record InvoiceWaiting(long Unpriced, long Unassigned);

/// <summary>An invoice as the API shows it (the upcoming one: status draft, no number yet).</summary>
public sealed record InvoiceView(string Id, string? Number, string Customer, string Currency, InvoicePeriod Period, string Status,
    IReadOnlyList<InvoiceLineView> Lines, string Subtotal, string CreditsApplied, string Total, string UnroundedTotal,
    InvoiceWaiting Waiting, IReadOnlyList<string> Limitations, long AsOf);

/// <summary>
/// Builds invoice lines from exact figures with the one rounding rule (docs/invoicing.md): each line is
/// rounded once to the currency's minor unit, half away from zero; subtotal, credits and total are sums
/// of rounded lines, so the lines always add up to the total exactly.
/// </summary>
public static class InvoiceDraft
{
    private const int UnitPriceDecimals = 12;

    public static InvoiceView Build(string customerId, string currency, Interval period, DraftQuery.Figures f, IReadOnlyList<InvoiceLineView> fees,
        IReadOnlyList<string> limitations)
    {
        var lines = fees.Concat(f.Usage.Select(u => Line("usage", Describe(u), u.Model, u.Mode, u.Meter, u.Quantity, u.Amount, currency))).ToList();
        var subtotal = lines.Sum(l => decimal.Parse(l.Amount, CultureInfo.InvariantCulture));
        var creditsLine = f.CreditsApplied == 0 ? null : Line("credits", "Prepaid credits applied", null, null, null, null, -f.CreditsApplied, currency);
        if (creditsLine is not null) lines.Add(creditsLine);
        var credits = creditsLine is null ? 0m : decimal.Parse(creditsLine.Amount, CultureInfo.InvariantCulture);
        var exact = fees.Sum(l => decimal.Parse(l.Unrounded, CultureInfo.InvariantCulture)) + f.Usage.Sum(u => u.Amount) - f.CreditsApplied;
        string M(decimal amount) => new Money(amount, currency).ToMinorUnitsString();
        return new InvoiceView("upcoming", null, customerId, currency, new InvoicePeriod(period.Start, period.End), "draft", lines,
            M(subtotal), M(credits), M(subtotal + credits), new Money(exact, currency).ToExactString(), new InvoiceWaiting(f.Unpriced, f.Unassigned), limitations, f.AsOf);
    }

    private static InvoiceLineView Line(string kind, string description, string? model, string? mode, string? meter, decimal? quantity, decimal exact, string currency)
    {
        return new InvoiceLineView(kind, description, model, mode, meter, quantity is { } q ? Text(q) : null,
            quantity is { } n and not 0 ? Text(Math.Round(exact / n, UnitPriceDecimals, MidpointRounding.AwayFromZero)) : null,
            new Money(exact, currency).ToMinorUnitsString(), new Money(exact, currency).ToExactString());
    }

    private static string Describe(DraftQuery.UsageGroup u) =>
        string.Join(" ", new[] { u.Model, u.Mode, u.Meter.Replace('_', ' ') }.Where(p => !string.IsNullOrEmpty(p))) + (u.Events == 1 ? " (1 event)" : $" ({u.Events} events)");

    private static string Text(decimal d) => (d / 1.0000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);
}
