using Ledger.Access;
using Ledger.Customers;
using Ledger.Hosting;
using Ledger.Invoices;
using Marten;
using NodaTime;
using Npgsql;
using static Ledger.Ui.Html;

namespace Ledger.Ui;

/// <summary>An issued invoice (or the draft), its printable page and its proof bundle, through the invoice endpoints' own methods.</summary>
public static class InvoicePage
{
    [Requires(Scopes.BillingWrite, Scopes.FinanceRead, Scopes.AuditRead, CustomerOwned = true)]
    public static async Task<IResult> Get(string invoiceId, HttpContext http, IQuerySession session, NpgsqlDataSource db, CancellationToken ct)
    {
        var answer = await GetInvoices.Get(invoiceId, http, session, ct);
        if (Answers.Value<InvoiceView>(answer) is not { } invoice)
            return Answers.Problem(http, answer, "No such invoice", H($"""<p>Find a customer's invoices on <a href="/ui">the lookup page</a>.</p>"""));
        var zone = await ZoneAsync(session, invoice.Customer, ct);
        var id = Format.Segment(invoice.Id);
        var caller = Caller.Of(http);
        var proof = caller.Has(Scopes.AuditRead) || caller.Has(Scopes.FinanceRead) || caller.Granted.Contains(Scopes.CustomerRead)
            ? H($"""<a class="button" href="/ui/invoices/{id}/proof" download>Download proof bundle</a>""") : Html.Empty;
        var traces = caller.Has(Scopes.FinanceRead) || caller.Has(Scopes.AuditRead);
        var entry = traces ? await TracePage.InvoiceEntryAsync(db, invoice.Id, ct) : null;
        return Layout.Page(http, $"Invoice {invoice.Number}", H($"""
            <p class="actions"><a class="button" href="/ui/invoices/{id}/print">Printable invoice</a> {proof}</p>
            <p class="hint">The proof bundle holds the invoice as issued, the usage events it billed and the hashes tying them to a signed checkpoint;
            check it offline with <code>dotnet run --project tools/ProofCheck -- bundle.json</code>.</p>
            {(traces && entry is null && invoice.Number is not null ? H($"""<p class="hint">This invoice has no journal entry (yet: the journal posts every few seconds; an invoice that credits paid in full moves no money and posts none), so a line opens its period's usage events on the disputes page, each with its own trace.</p>""") : Html.Empty)}
            {Render(invoice, zone, traces, entry is not null)}
            """));
    }

    [Requires(Scopes.BillingWrite, Scopes.FinanceRead, Scopes.AuditRead, CustomerOwned = true)]
    public static async Task<IResult> Print(string invoiceId, HttpContext http, IQuerySession session, CancellationToken ct)
    {
        var answer = await GetInvoices.GetHtml(invoiceId, http, session, ct);
        return Answers.Status(answer) >= 400 ? Answers.Problem(http, answer, "No such invoice") : answer;
    }

    /// <summary>The proof bundle as a download; a refusal (no checkpoint covers the invoice yet, say) as a page that says what to do.</summary>
    [Requires(Scopes.AuditRead, Scopes.FinanceRead, CustomerOwned = true)]
    public static async Task<IResult> Proof(string invoiceId, HttpContext http, IQuerySession session, NpgsqlDataSource db, CancellationToken ct)
    {
        var answer = await GetInvoiceProof.Get(invoiceId, null, http, session, db, ct);
        if (Answers.Status(answer) >= 400)
            return Answers.Problem(http, answer, "No proof bundle yet",
                Answers.Status(answer) == StatusCodes.Status409Conflict
                    ? H($"""<p>An auditor can sign a checkpoint now on the <a href="/ui/audit">Audit page</a>; checkpoints are also signed daily.</p>""")
                    : null);
        var name = RouteValue.Decode(invoiceId).ToLowerInvariant();
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"proof-{string.Concat(name.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))}.json\"";
        return answer;
    }

    [Requires(Scopes.BillingWrite, Scopes.FinanceRead, Scopes.AuditRead, CustomerRoute = "customerId")]
    public static async Task<IResult> Upcoming(string customerId, HttpContext http, IQuerySession session, IDocumentStore store, NpgsqlDataSource db, IClock clock,
        CancellationToken ct)
    {
        var answer = await UpcomingInvoice.Get(customerId, store, db, clock, ct);
        if (Answers.Value<InvoiceView>(answer) is not { } invoice) return Answers.Problem(http, answer, "No draft invoice");
        var zone = await ZoneAsync(session, invoice.Customer, ct);
        return Layout.Page(http, $"Draft invoice of {invoice.Customer}", H($"""
            <p class="hint">The open billing period as rated so far; it is issued, numbered and frozen when the period closes.</p>
            {Render(invoice, zone)}
            """));
    }

    private static async Task<DateTimeZone> ZoneAsync(IQuerySession session, string customerId, CancellationToken ct) =>
        BillingPeriods.Zone((await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct))?.TimeZone ?? "UTC");

    /// <summary>The invoice; <paramref name="traces"/>: each line that bills usage links to its trace (issued invoices, finance or audit keys).</summary>
    private static Html Render(InvoiceView invoice, DateTimeZone zone, bool traces = false, bool posted = false)
    {
        var c = invoice.Currency;
        traces &= invoice.Number is not null;
        var days = $"from={invoice.Period.From.InZone(zone).Date:uuuu-MM-dd}&to={invoice.Period.To.InZone(zone).Date.PlusDays(-1):uuuu-MM-dd}";
        Html TraceCell(InvoiceLineView l, int n) => !traces ? Html.Empty
            : global::Ledger.Trace.LineEvents.ModeOf(l) is null ? H($"""<td><span class="hint">no usage</span></td>""")
            : posted ? H($"""<td><a href="/ui/invoices/{Format.Segment(invoice.Id)}/lines/{n}/trace" aria-label="Trace line {n + 1}: {l.Description}">Trace</a></td>""")
            : H($"""<td><a href="/ui/disputes?customer={Format.Segment(invoice.Customer)}&{days}{(l.Model is null ? "" : "&model=" + Format.Segment(l.Model))}" aria-label="Usage events of line {n + 1}: {l.Description}">Events</a></td>""");
        var lines = invoice.Lines.Count == 0
            ? H($"""<tr><td colspan="{(traces ? 5 : 4)}" class="empty">No lines: nothing was rated in this period.</td></tr>""")
            : Join(invoice.Lines.Select((l, n) => H($"""
                <tr><td>{l.Description}</td><td class="n">{Quantity(l.Quantity)}</td><td class="n">{l.UnitPrice ?? ""}</td><td class="n">{Format.Money(l.Amount, c)}</td>{TraceCell(l, n)}</tr>
                """)));
        var extra = traces ? H($"""<td></td>""") : Html.Empty;
        var waiting = invoice.Waiting.Unpriced + invoice.Waiting.Unassigned > 0
            ? H($"""<p class="notice">Not on this invoice yet: {invoice.Waiting.Unpriced} unpriced and {invoice.Waiting.Unassigned} unassigned usage events of the period.</p>""")
            : Html.Empty;
        return H($"""
            <section aria-label="Invoice">
            <dl class="facts">
              <div><dt>Invoice</dt><dd>{(invoice.Number is null ? H($"draft") : Format.Id(invoice.Id, "invoice id"))}</dd></div>
              <div><dt>Customer</dt><dd><a href="/ui/customers/{Format.Segment(invoice.Customer)}">{invoice.Customer}</a></dd></div>
              <div><dt>Period</dt><dd>{Format.Time(invoice.Period.From, zone)} – {Format.Time(invoice.Period.To, zone)}</dd></div>
              <div><dt>Status</dt><dd>{invoice.Status}</dd></div>
              <div><dt>Issued</dt><dd>{Format.Time(invoice.IssuedAt, zone, "not yet")}</dd></div>
              <div><dt>Ledger position</dt><dd>{invoice.AsOf}</dd></div>
            </dl>
            <div class="scroll"><table class="invoice">
            <caption>Lines; each amount rounded once to the currency's minor unit</caption>
            <thead><tr><th scope="col">Description</th><th scope="col" class="n">Quantity</th><th scope="col" class="n">Unit price</th><th scope="col" class="n">Amount</th>{(traces ? H($"""<th scope="col">Trace</th>""") : Html.Empty)}</tr></thead>
            <tbody>{lines}</tbody>
            <tfoot>
            {(invoice.Overage is { } overage ? H($"""<tr><th scope="row" colspan="3">Usage beyond the included allowance (overage)</th><td class="n">{Format.Money(overage, c)}</td>{extra}</tr>""") : Html.Empty)}
            <tr><th scope="row" colspan="3">Subtotal</th><td class="n">{Format.Money(invoice.Subtotal, c)}</td>{extra}</tr>
            <tr><th scope="row" colspan="3">Credits applied</th><td class="n">{Format.Money(invoice.CreditsApplied, c)}</td>{extra}</tr>
            <tr class="total"><th scope="row" colspan="3">Total</th><td class="n" id="invoice-total">{Format.Money(invoice.Total, c)}</td>{extra}</tr>
            </tfoot></table></div>
            {waiting}
            {Join(invoice.Limitations.Select(l => H($"""<p class="hint">{l}</p>""")))}
            </section>
            """);
    }

    /// <summary>A whole quantity with grouped thousands (2,000,000 tokens); anything else as the invoice has it.</summary>
    private static string Quantity(string? quantity) =>
        long.TryParse(quantity, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var whole)
            ? whole.ToString("#,0", System.Globalization.CultureInfo.InvariantCulture) : quantity ?? "";
}
