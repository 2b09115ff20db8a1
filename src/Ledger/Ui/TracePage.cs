using System.Text.Json;
using Ledger.Access;
using Ledger.Audit;
using Ledger.Customers;
using Ledger.Hosting;
using Ledger.Invoices;
using Ledger.Revenue;
using Ledger.Trace;
using Marten;
using NodaTime;
using Npgsql;
using static Ledger.Ui.Html;

namespace Ledger.Ui;

/// <summary>
/// The trace pages (docs/ui.md, docs/audit.md#tracing): a journal entry down to the raw events behind it, one hop per page
/// (<c>TraceEntry.Get</c>), and one usage event up to the invoices, journal entries and revenue it reached (<c>TraceEvent.Get</c>).
/// </summary>
public static class TracePage
{
    private static readonly JsonSerializerOptions Pretty = PrettyOptions();

    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    public static async Task<IResult> Entry(string id, int? line, string? cursor, int? limit, HttpContext http, NpgsqlDataSource db, TraceReads reads,
        IQuerySession session, AuditSigningKey key, CancellationToken ct)
    {
        var answer = await TraceEntry.Get(id, line, cursor, limit, db, reads, session, key, ct);
        if (Answers.Value<EntryTrace>(answer) is not { } trace)
            return Answers.Problem(http, answer, "Nothing to trace",
                H($"""<p>Look the entry up by its number on <a href="/ui">the lookup page</a>, or open <a href="/ui/trace/entries/{id}">the entry's first hop</a>.</p>"""));
        var e = trace.Entry;
        var zone = await ZoneAsync(session, e.Customer, ct);
        var self = $"/ui/trace/entries/{e.Id}";
        var hop = trace.Line is { } n ? $"Invoice line {n}" : HopName(trace.Hop);
        var crumbs = H($"""
            <nav aria-label="Trace path" class="crumbs"><ol>
              <li><a href="/ui/revenue?customer={Format.Segment(e.Customer)}">Revenue of {e.Customer}</a></li>
              <li>{(trace.Line is null ? H($"""<span aria-current="page">Journal entry #{e.Id}</span>""") : H($"""<a href="{self}">Journal entry #{e.Id}</a>"""))}</li>
              {When(trace.Line is not null, H($"""<li><span aria-current="page">{hop}</span></li>"""))}
              <li><span class="hint">{NextHint(trace.Hop)}</span></li>
            </ol></nav>
            """);
        var paging = Paging(self + (trace.Line is { } ln ? $"?line={ln}&" : "?"), cursor, trace.NextCursor, limit, trace.ChildrenCount);
        return Layout.Page(http, $"Trace of journal entry #{e.Id}", H($"""
            {crumbs}
            <dl class="facts">
              <div><dt>Entry</dt><dd>{Format.Id(e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "journal entry number")}</dd></div>
              <div><dt>Kind</dt><dd><code>{e.Kind}</code></dd></div>
              <div><dt>Customer</dt><dd><a href="/ui/customers/{Format.Segment(e.Customer)}">{e.Customer}</a></dd></div>
              <div><dt>Posting period</dt><dd>{e.PostingPeriod[..Math.Min(7, e.PostingPeriod.Length)]}</dd></div>
              <div><dt>Service date</dt><dd>{e.ServiceDate.ToString("uuuu-MM-dd", null)}</dd></div>
              <div><dt>Amount</dt><dd>{Format.Money(e.Amount, e.Currency)}</dd></div>
              <div><dt>Posted</dt><dd>{Format.Time(e.PostedAt, zone)}</dd></div>
              <div><dt>Description</dt><dd>{e.Description}</dd></div>
            </dl>
            {Checkpoint(trace.Checkpoint, zone)}
            <section aria-labelledby="hop-h"><h2 id="hop-h">{hop}: {ChildrenName(trace.Hop)}</h2>
            {Ties(trace.ParentAmount, trace.ChildrenSum, trace.ChildrenCount, trace.Ties, e.Currency, ParentName(trace.Hop))}
            {(trace.Note is null ? Html.Empty : H($"""<p class="hint">{trace.Note}</p>"""))}
            {(trace.Lines is { Count: > 0 } lines ? LinesTable(e, lines, trace.Hop) : Html.Empty)}
            {(trace.Grant is { } grant ? GrantPart(grant, e.Currency, trace.Checkpoint, zone) : Html.Empty)}
            {(trace.Events is { } events ? EventsTable(events, zone, trace.Checkpoint) : Html.Empty)}
            {paging}
            </section>
            {(trace.SourceEvent is { } source ? H($"""<section aria-labelledby="src-h"><h2 id="src-h">The event that caused this entry</h2>{Raw(source, trace.Checkpoint, zone, "src")}</section>""") : Html.Empty)}
            """));
    }

    [Requires(Scopes.AuditRead, Scopes.FinanceRead)]
    public static async Task<IResult> Event(string source, string id, HttpContext http, NpgsqlDataSource db, TraceReads reads, IQuerySession session,
        AuditSigningKey key, CancellationToken ct)
    {
        var answer = await TraceEvent.Get(source, id, db, reads, session, key, ct);
        if (Answers.Value<EventTrace>(answer) is not { } trace)
            return Answers.Problem(http, answer, "No such event", H($"""<p>Check the source and id on <a href="/ui">the lookup page</a> (an event as <code>source/id</code>).</p>"""));
        var u = trace.Event;
        var zone = await ZoneAsync(session, u.Customer, ct);
        var c = u.Currency ?? "USD";
        var p = u.PricedBy;
        var rated = u.Amount is not null;
        var pricing = p.PriceBook is null
            ? H($"""<p class="empty">Not priced ({u.Status}). An event is priced once its customer has a price book with a rule for its model; it is rated again when one arrives.</p>""")
            : H($"""
                <dl class="facts">
                  <div><dt>Price book</dt><dd><code>{p.PriceBook}</code> version {p.PriceVersion}</dd></div>
                  <div><dt>Rule</dt><dd><code>{p.Rule ?? "—"}</code></dd></div>
                  <div><dt>Formula</dt><dd><code id="formula">{p.Formula ?? "—"}</code>{(p.Per is { } per ? H($""" <span class="hint">per {per:#,0} units</span>""") : Html.Empty)}</dd></div>
                  <div><dt>Rates</dt><dd>{(p.Rates is null ? H($"—") : Join(p.Rates.Select(r => H($"""<code>{r.Key}</code> {r.Value} """))))}</dd></div>
                  {When(p.OverrideVersion is not null, H($"""<div><dt>Customer override</dt><dd>version {p.OverrideVersion}</dd></div>"""))}
                  {When(p.Contract is not null, H($"""<div><dt>Contract</dt><dd><code>{p.Contract}</code> amendment {p.ContractAmendment}</dd></div>"""))}
                </dl>
                """);
        var ratedLines = u.Lines.Count == 0 ? Html.Empty : H($"""
            <table><caption>Rated per meter; the amounts add up to the event's amount</caption>
            <thead><tr><th scope="col">Meter</th><th scope="col" class="n">Quantity</th><th scope="col" class="n">Amount</th></tr></thead>
            <tbody>{u.Lines.Select(l => H($"""<tr><td><code>{l.Meter}</code></td><td class="n">{l.Quantity:#,0.######}</td><td class="n">{Format.Money(l.Amount, c)}</td></tr>"""))}</tbody></table>
            """);
        var paid = u.Paid is not { } pay ? H($"""<p class="empty">Nothing to pay: the event is not rated.</p>""") : H($"""
            {Ties(u.Amount!, pay.Sum, pay.Drawdowns.Count + 1, pay.Ties, c, "event amount")}
            <table><caption>Drawdowns in drawdown order, then what no credit covered</caption>
            <thead><tr><th scope="col">Grant</th><th scope="col">Kind</th><th scope="col" class="n">Amount</th></tr></thead>
            <tbody>{pay.Drawdowns.Select(d => H($"""<tr><td>{Format.Id(d.Grant, "grant id")}</td><td>{d.Kind}</td><td class="n">{Format.Money(d.Amount, c)}</td></tr>"""))}
            <tr><td>uncovered</td><td>billed as usage</td><td class="n">{Format.Money(pay.Uncovered, c)}</td></tr></tbody></table>
            """);
        var invoices = u.Invoices.Count == 0
            ? H($"""<p class="empty">On no issued invoice yet: it is billed when its billing period closes (an hour after it ends).</p>""")
            : H($"""
                <table id="billed-on"><caption>Each invoice billed the change from the invoice before (a re-rated event is adjusted on the next one)</caption>
                <thead><tr><th scope="col">Invoice</th><th scope="col">Period</th><th scope="col" class="n">Amount there</th><th scope="col" class="n">Credits</th><th scope="col" class="n">Allowance</th><th scope="col" class="n">Billed by it</th></tr></thead>
                <tbody>{u.Invoices.Select(b => H($"""
                    <tr><td><a href="/ui/invoices/{Format.Segment(b.Invoice)}">{b.Number}</a></td><td>{Format.Time(b.PeriodFrom, zone)} – {Format.Time(b.PeriodTo, zone)}</td>
                    <td class="n">{Format.Money(b.Amount, c)}</td><td class="n">{Format.Money(b.Credits, c)}</td><td class="n">{Format.Money(b.Allowance, c)}</td><td class="n">{Format.Money(b.AmountBilled, c)}</td></tr>
                    """))}</tbody></table>
                {(trace.Billed is { } billed ? H($"""<p>Billed in all {Format.Money(billed.Billed, c)}; rated now {Format.Money(billed.Current, c)}; still to bill {Format.Money(billed.ToBill, c)}.</p>""") : Html.Empty)}
                """);
        var journal = u.Journal.Count == 0
            ? H($"""<p class="empty">No journal entry has a share of it yet. The journal posts every few seconds; reload in a moment.</p>""")
            : H($"""
                <table id="journal-shares"><caption>Journal entries this event has a share of</caption>
                <thead><tr><th scope="col">Entry</th><th scope="col">Kind</th><th scope="col">Posting period</th><th scope="col">Service date</th><th scope="col" class="n">Share</th></tr></thead>
                <tbody>{u.Journal.Select(j => H($"""
                    <tr><td><a href="/ui/trace/entries/{j.Entry}">#{j.Entry}</a></td><td><code>{j.Kind}</code></td><td>{j.PostingPeriod}</td><td>{j.ServiceDate.ToString("uuuu-MM-dd", null)}</td><td class="n">{Format.Money(j.Amount, c)}</td></tr>
                    """))}</tbody></table>
                """);
        var revenue = u.Revenue is not { } r ? Html.Empty : Ties(r.Expected, r.Journal, u.Journal.Count, r.Ties, c, "expected revenue, amount − allowance");
        return Layout.Page(http, $"Trace of event {u.Id}", H($"""
            <nav aria-label="Trace path" class="crumbs"><ol>
              <li><span aria-current="page">Raw event</span></li><li>rating</li><li>drawdowns and invoices</li><li>journal entries</li>
              <li><a href="/ui/revenue?customer={Format.Segment(u.Customer)}">revenue of {u.Customer}</a></li></ol></nav>
            <dl class="facts">
              <div><dt>Source</dt><dd>{Format.Id(u.Source, "source")}</dd></div>
              <div><dt>Id</dt><dd>{Format.Id(u.Id, "event id")}</dd></div>
              <div><dt>Customer</dt><dd><a href="/ui/customers/{Format.Segment(u.Customer)}">{u.Customer}</a></dd></div>
              <div><dt>Usage time</dt><dd>{Format.Time(u.UsageAt, zone)}</dd></div>
              <div><dt>Recorded</dt><dd>{Format.Time(u.RecordedAt, zone)}</dd></div>
              <div><dt>Ledger sequence</dt><dd>{u.Sequence}</dd></div>
              <div><dt>Rating</dt><dd>{u.Status} {(rated ? Format.Money(u.Amount!, c) : H($"—"))}</dd></div>
            </dl>
            {Checkpoint(trace.Checkpoint, zone)}
            <section aria-labelledby="raw-h"><h2 id="raw-h">1. The raw event, as received</h2>{(u.Raw is { } raw ? Raw(raw, trace.Checkpoint, zone, "raw") : H($"""<p class="empty">The raw row could not be read.</p>"""))}</section>
            <section aria-labelledby="price-h"><h2 id="price-h">2. Rating: the price version and formula that priced it</h2>{pricing}{ratedLines}</section>
            <section aria-labelledby="paid-h"><h2 id="paid-h">3. How it was paid</h2>{paid}</section>
            <section aria-labelledby="inv-h"><h2 id="inv-h">4. Invoices that billed it</h2>{invoices}</section>
            <section aria-labelledby="jr-h"><h2 id="jr-h">5. Journal entries and revenue</h2>{journal}{revenue}</section>
            """));
    }

    /// <summary>An invoice line's trace: the hop below the invoice's journal entry, found by the invoice it posted.</summary>
    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    public static async Task<IResult> InvoiceLine(string invoiceId, int line, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        invoiceId = RouteValue.Decode(invoiceId);
        if (await InvoiceEntryAsync(db, invoiceId, ct) is { } entry) return Results.Redirect($"/ui/trace/entries/{entry}?line={line}");
        return Layout.Problem(http, StatusCodes.Status404NotFound, "No journal entry for this invoice",
            $"Invoice {invoiceId} has no journal entry: the journal has not posted it yet (it posts every few seconds; reload in a moment), or the " +
            "invoice moved no money between accounts (credits paid all of it). Trace its usage from each event, or find it on the disputes page.",
            H($"""<p><a href="/ui/invoices/{Format.Segment(invoiceId)}">Back to the invoice</a> · <a href="/ui/disputes">Disputes</a></p>"""));
    }

    /// <summary>The journal entry an issued invoice posted (its receivable), if the journal has posted one.</summary>
    public static async Task<long?> InvoiceEntryAsync(NpgsqlDataSource db, string invoiceId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("select entry_id from ledger.journal_entries where kind = $1 and cause->>'invoice' = $2 order by entry_id limit 1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = EntryKind.Invoice });
        cmd.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
        return await cmd.ExecuteScalarAsync(ct) is long entry ? entry : null;
    }

    public static async Task<DateTimeZone> ZoneAsync(IQuerySession session, string customerId, CancellationToken ct) =>
        BillingPeriods.Zone((await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct))?.TimeZone ?? "UTC");

    private static string HopName(string hop) => hop switch
    {
        "usage_events" => "Usage events",
        "invoice_lines" => "Invoice lines",
        "invoice_line" => "Invoice line",
        "fee_line_days" => "Fee line",
        "grant" => "Credit grant",
        _ => hop
    };

    private static string ChildrenName(string hop) => hop switch
    {
        "usage_events" => "each usage event's share",
        "invoice_lines" => "the invoice's lines (open a line to see its usage events)",
        "invoice_line_events" => "the usage events the line billed",
        "fee_line_days" => "the line's day entries",
        "invoice_line" => "the line it comes from",
        "grant" => "the grant and its event",
        _ => "children"
    };

    private static string NextHint(string hop) => hop switch
    {
        "invoice_lines" => "then a line's usage events, each with its rating and raw event",
        "grant" => "then the grant's event in the log",
        "fee_line_days" or "invoice_line" => "the invoice line it comes from",
        _ => "then a usage event, its rating and the raw event"
    };

    private static string ParentName(string hop) => hop switch
    {
        "invoice_line_events" => "line amount, unrounded",
        "fee_line_days" => "fee line amount",
        _ => "entry amount"
    };

    /// <summary>Parent, children's sum and whether they tie to the last digit.</summary>
    private static Html Ties(string parent, string sum, long count, bool ties, string currency, string parentName) => H($"""
        <dl class="figures ties">
          <div><dt>Parent: {parentName}</dt><dd id="parent-amount">{Format.Money(parent, currency)}</dd></div>
          <div><dt>Children sum ({count} in all pages)</dt><dd id="children-sum">{Format.Money(sum, currency)}</dd></div>
          <div><dt>Check</dt><dd>{(ties ? H($"""<span class="badge ok" id="ties">✓ Ties</span>""") : H($"""<span class="badge broken" id="ties">✗ Does not tie</span>"""))}</dd></div>
        </dl>
        """);

    private static Html Checkpoint(CheckpointStatus? cp, DateTimeZone zone) => cp is null
        ? H($"""<p class="notice">No signed checkpoint yet: chain links are checked, but nothing is covered. An auditor can sign one on the <a href="/ui/audit">Audit page</a>.</p>""")
        : H($"""
            <p class="hint" id="checkpoint">Verified against checkpoint #{cp.Id} (through ledger sequence {cp.Sequence}, signed {Format.Time(cp.CreatedAt, zone)},
            signature {(cp.SignatureValid ? "valid" : "NOT valid")}; head {Format.Id(cp.Head, "checkpoint head")}).</p>
            """);

    private static Html Badge(ChainStatus chain, CheckpointStatus? cp) => chain.Status switch
    {
        "linked" => H($"""<span class="badge ok chain">Hash chain verified</span>{(chain.Covered && cp is not null ? H($"""<span class="hint">covered by checkpoint #{cp.Id} (sequence {cp.Sequence})</span>""") : H($"""<span class="hint">link checked; not yet covered by a signed checkpoint</span>"""))}"""),
        "altered" => H($"""<span class="badge broken chain" role="alert">Hash chain broken</span><span class="hint">the row no longer hashes to its stored link{(cp is null ? "" : $"; latest checkpoint #{cp.Id}")}: run a verification on the Audit page and restore the row from backup</span>"""),
        _ => H($"""<span class="badge pending chain">Not chained yet</span><span class="hint">the chainer trails ingest by a few seconds; reload</span>"""),
    };

    private static Html Raw(RawEvent raw, CheckpointStatus? cp, DateTimeZone zone, string idPrefix) => H($"""
        <p>{Badge(raw.Chain, cp)}</p>
        <dl class="facts">
          <div><dt>Sequence</dt><dd>{raw.Sequence}</dd></div>
          <div><dt>Type</dt><dd><code>{raw.Type}</code></dd></div>
          <div><dt>Stored</dt><dd>{Format.Time(raw.StoredAt, zone)}</dd></div>
          <div><dt>Chain hash</dt><dd>{(raw.Chain.Hash is { } h ? Format.Id(h, "chain hash") : H($"—"))}</dd></div>
        </dl>
        <p class="hint">As stored in the log, indented for reading (a usage event as its CloudEvent); the values are exactly as received.</p>
        <pre tabindex="0" id="{idPrefix}-json" aria-label="The raw event as JSON"><code>{raw.Event?.ToJsonString(Pretty) ?? "(empty)"}</code></pre>
        """);

    private static Html LinesTable(JournalEntryView e, IReadOnlyList<TracedLine> lines, string hop) => H($"""
        <div class="scroll"><table id="trace-lines"><caption>Invoice lines; a line that bills usage opens its events</caption>
        <thead><tr><th scope="col" class="n">Line</th><th scope="col">Kind</th><th scope="col">Description</th><th scope="col" class="n">Quantity</th><th scope="col" class="n">Amount</th><th scope="col" class="n">Unrounded</th><th scope="col">Next hop</th></tr></thead>
        <tbody>{lines.Select(l => H($"""
            <tr><td class="n">{l.Index}</td><td><code>{l.Kind}</code></td><td>{l.Description}</td><td class="n">{Quantity(l.Quantity)}</td>
            <td class="n">{Format.Money(l.Amount, e.Currency)}</td><td class="n">{Format.Money(l.Unrounded, e.Currency)}</td>
            <td>{(l.Trace is not null && hop == "invoice_lines" ? H($"""<a href="/ui/trace/entries/{e.Id}?line={l.Index}">Trace line {l.Index}</a>""") : H($"""<span class="hint">{(hop == "invoice_lines" ? "bills no usage" : "")}</span>"""))}</td></tr>
            """))}</tbody></table></div>
        """);

    private static Html GrantPart(TracedGrant g, string c, CheckpointStatus? cp, DateTimeZone zone) => H($"""
        <dl class="facts">
          <div><dt>Grant</dt><dd>{Format.Id(g.Grant, "grant id")}</dd></div>
          <div><dt>Posted by this entry</dt><dd>{Format.Money(g.Posted, c)}</dd></div>
          <div><dt>Granted</dt><dd>{Format.Money(g.Granted, c)}</dd></div>
          <div><dt>Drawn</dt><dd>{Format.Money(g.Drawn, c)}</dd></div>
          <div><dt>Expired</dt><dd>{Format.Money(g.Expired, c)}</dd></div>
          <div><dt>Voided</dt><dd>{Format.Money(g.Voided, c)}</dd></div>
          <div><dt>Status</dt><dd>{g.Status}</dd></div>
        </dl>
        {(g.Event is { } raw ? Raw(raw, cp, zone, "grant") : Html.Empty)}
        """);

    private static Html EventsTable(IReadOnlyList<TracedUsage> events, DateTimeZone zone, CheckpointStatus? cp)
    {
        if (events.Count == 0) return H($"""<p class="empty">No usage events on this page. Go back to the first page, or to the entry.</p>""");
        return H($"""
            <div class="scroll"><table id="trace-events"><caption>Usage events on this page: share of the parent, rating, price version, chain status</caption>
            <thead><tr><th scope="col">Event</th><th scope="col">Usage time</th><th scope="col" class="n">Share</th><th scope="col" class="n">Rated</th><th scope="col">Priced by</th><th scope="col">Invoices</th><th scope="col">Chain</th></tr></thead>
            <tbody>{events.Select(u => H($"""
                <tr><td><a href="/ui/trace/events/{Format.Segment(u.Source)}/{Format.Segment(u.Id)}">{u.Source} {u.Id}</a></td><td>{Format.Time(u.UsageAt, zone)}</td>
                <td class="n">{(u.Share is { } s ? Format.Money(s, u.Currency ?? "USD") : H($"—"))}</td><td class="n">{(u.Amount is { } a ? Format.Money(a, u.Currency!) : H($"{u.Status}"))}</td>
                <td>{(u.PricedBy.PriceBook is { } book ? H($"""<code>{book}</code> v{u.PricedBy.PriceVersion} <code>{u.PricedBy.Rule}</code>""") : H($"—"))}</td>
                <td>{Join(u.Invoices.Select(b => H($"""<a href="/ui/invoices/{Format.Segment(b.Invoice)}">{b.Number}</a> """)))}</td>
                <td>{(u.Raw?.Chain.Status switch { "linked" => H($"""<span class="ok-text">verified</span>"""), "altered" => H($"""<strong class="bad-text">broken</strong>"""), _ => H($"not chained yet") })}</td></tr>
                """))}</tbody></table></div>
            """);
    }

    /// <summary>First and next page; the page size (each from the first page) once a hop has more children than one default page.</summary>
    private static Html Paging(string baseHref, string? cursor, string? next, int? limit, long count)
    {
        var l = limit is { } n ? $"limit={n}&" : "";
        var first = cursor is null ? Html.Empty : H($"""<a class="button secondary" href="{baseHref}{l}">First page</a>""");
        var more = next is null ? Html.Empty : H($"""<a class="button" href="{baseHref}{l}cursor={next}" rel="next">Next page</a>""");
        var size = limit ?? TracePaging.DefaultLimit;
        var sizes = limit is null && count <= TracePaging.DefaultLimit ? Html.Empty : H($"""
            <p class="hint" id="page-size">Rows per page: {Join(PageSizes.Select(s => s == size
                ? H($"""<strong aria-current="true">{s:#,0}</strong> """)
                : H($"""<a href="{baseHref}limit={s}" aria-label="{s:#,0} rows per page">{s:#,0}</a> """)))}</p>
            """);
        return cursor is null && next is null ? sizes : H($"""<p class="actions">{first} {more}</p>{sizes}""");
    }

    private static readonly int[] PageSizes = [TracePaging.DefaultLimit, 500, TracePaging.MaxLimit];

    private static string Quantity(string? quantity) =>
        decimal.TryParse(quantity, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var q)
            ? q.ToString("#,0.##########", System.Globalization.CultureInfo.InvariantCulture) : quantity ?? "";

    private static JsonSerializerOptions PrettyOptions()
    {
        var options = new JsonSerializerOptions { WriteIndented = true };
        Hosting.Json.Configure(options);
        return options;
    }
}
