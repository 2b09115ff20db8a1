using System.Globalization;
using System.Net;
using System.Text;
using NodaTime;
using NodaTime.Text;

namespace Ledger.Invoices;

/// <summary>
/// A printable HTML rendering of an invoice: self-contained (inline style, no scripts, nothing fetched),
/// semantic table markup, money as the JSON has it with the currency code, times in the period's terms.
/// </summary>
public static class InvoiceHtml
{
    private static readonly InstantPattern Time = InstantPattern.CreateWithInvariantCulture("uuuu-MM-dd HH:mm'Z'");

    public static string Render(InvoiceView invoice)
    {
        var html = new StringBuilder();
        string E(string? text) => WebUtility.HtmlEncode(text ?? "");
        string M(string amount) => $"{E(amount)} {E(invoice.Currency)}";
        var title = invoice.Number is null ? $"Draft invoice — {invoice.Customer}" : $"Invoice {invoice.Number} — {invoice.Customer}";
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{{E(title)}}</title>
            <style>
              body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #111; }
              table { border-collapse: collapse; width: 100%; }
              th, td { border-bottom: 1px solid #ccc; padding: .35rem .5rem; text-align: left; vertical-align: top; }
              td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
              tfoot td { font-weight: 600; border-bottom: none; }
              .note { color: #555; }
              @media print { body { margin: 0; } }
            </style></head>
            <body><main>
            <h1>{{E(title)}}</h1>
            <dl>
              <dt>Customer</dt><dd>{{E(invoice.Customer)}}</dd>
              <dt>Period</dt><dd>{{E(Time.Format(invoice.Period.From))}} – {{E(Time.Format(invoice.Period.To))}}</dd>
              <dt>Status</dt><dd>{{E(invoice.Status)}}{{(invoice.IssuedAt is { } issued ? $", {E(Time.Format(issued))}" : "")}}</dd>
              <dt>Ledger position</dt><dd>{{invoice.AsOf.ToString(CultureInfo.InvariantCulture)}}</dd>
            </dl>
            <table>
            <caption>Lines; each amount rounded once to the currency's minor unit</caption>
            <thead><tr><th scope="col">Description</th><th scope="col" class="n">Quantity</th><th scope="col" class="n">Unit price</th><th scope="col" class="n">Amount</th></tr></thead>
            <tbody>

            """);
        foreach (var line in invoice.Lines)
            html.Append($"""<tr><td>{E(line.Description)}</td><td class="n">{E(line.Quantity)}</td><td class="n">{E(line.UnitPrice)}</td><td class="n">{M(line.Amount)}</td></tr>""").Append('\n');
        html.Append($"""
            </tbody>
            <tfoot>
            <tr><td colspan="3">Subtotal</td><td class="n">{M(invoice.Subtotal)}</td></tr>
            <tr><td colspan="3">Credits applied</td><td class="n">{M(invoice.CreditsApplied)}</td></tr>
            <tr><td colspan="3">Total</td><td class="n">{M(invoice.Total)}</td></tr>
            </tfoot>
            </table>

            """);
        if (invoice.Waiting.Unpriced + invoice.Waiting.Unassigned > 0)
            html.Append($"""<p class="note">Not on this invoice yet: {invoice.Waiting.Unpriced} unpriced and {invoice.Waiting.Unassigned} unassigned usage events of the period.</p>""").Append('\n');
        foreach (var limitation in invoice.Limitations)
            html.Append($"""<p class="note">{E(limitation)}</p>""").Append('\n');
        html.Append("</main></body></html>\n");
        return html.ToString();
    }
}
