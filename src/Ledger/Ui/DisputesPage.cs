using System.Globalization;
using System.Text;
using Ledger.Access;
using Ledger.Customers;
using Ledger.Revenue;
using Ledger.Trace;
using Marten;
using NodaTime;
using NodaTime.Text;
using Npgsql;
using static Ledger.Ui.Html;

namespace Ledger.Ui;

/// <summary>
/// <c>/ui/disputes</c>: "what is this charge?" A customer's usage events in a window of days (in the customer's time zone),
/// optionally of one model, or with one request id: each with its rated amount and the invoices it landed on, through
/// <c>GetDisputes.Get</c>; as CSV for a support ticket.
/// </summary>
public static class DisputesPage
{
    private static readonly LocalDatePattern Day = LocalDatePattern.Iso;
    private const int CsvMaxPages = 100;

    public sealed record Query(string? Customer, string? From, string? To, string? Model, string? RequestId);

    [Requires(Scopes.AuditRead, Scopes.FinanceRead)]
    public static async Task<IResult> Get(string? customer, string? from, string? to, string? model, string? request, string? cursor, HttpContext http,
        IQuerySession session, NpgsqlDataSource db, IClock clock, CancellationToken ct)
    {
        var q = new Query(Blank(customer), Blank(from), Blank(to), Blank(model), Blank(request));
        Customer? found = q.Customer is null ? null : await session.LoadAsync<Customer>(Customer.StreamKey(q.Customer), ct);
        var zone = BillingPeriods.Zone(found?.TimeZone ?? "UTC");
        if (q.Customer is not null && q.From is null && q.To is null && q.RequestId is null)
        {
            // A first look: this month so far, in the customer's zone.
            var today = clock.GetCurrentInstant().InZone(zone).Date;
            q = q with { From = Day.Format(today.With(DateAdjusters.StartOfMonth)), To = Day.Format(today) };
        }
        var form = Form(q);
        if (q.Customer is null)
            return Layout.Page(http, "Disputes", H($"""{form}<p class="notice" role="status">Enter the customer's id and the days the disputed charge is in (or the request id the customer quotes), then Show.</p>"""));
        if (found is null)
            return Layout.Page(http, "Disputes", H($"""{form}<div class="notice error" role="alert"><p>No customer "{q.Customer}". Check the id on <a href="/ui">the lookup page</a>.</p></div>"""),
                StatusCodes.Status404NotFound);
        if (Window(q, zone, out var start, out var end) is { } bad)
            return Layout.Page(http, "Disputes", H($"""{form}<div class="notice error" role="alert"><p>{bad}</p></div>"""), StatusCodes.Status400BadRequest);
        var answer = await GetDisputes.Get(q.Customer, start, end, q.Model, q.RequestId, Blank(cursor), null, db, ct);
        if (Answers.Value<DisputePage>(answer) is not { } page)
            return Layout.Page(http, "Disputes", H($"""{form}<div class="notice error" role="alert"><p>{Answers.Detail(answer)}</p></div>"""), Answers.Status(answer));
        var query = QueryString(q);
        var rows = page.Events.Count == 0
            ? H($"""<p class="empty" role="status">No usage events of {q.Customer} match. Widen the days, clear the model, or check the request id (the event's <code>data.request_id</code>).</p>""")
            : H($"""
                <div class="scroll"><table id="disputes"><caption>Usage events by usage time ({found.TimeZone}; hover a time for UTC)</caption>
                <thead><tr><th scope="col">Usage time</th><th scope="col">Event</th><th scope="col">Model</th><th scope="col">Request id</th><th scope="col">Status</th><th scope="col" class="n">Rated amount</th><th scope="col">Invoices (billed there)</th></tr></thead>
                <tbody>{page.Events.Select(e => H($"""
                    <tr><td>{Format.Time(e.UsageAt, zone)}</td><td><a href="/ui/trace/events/{Format.Segment(e.Source)}/{Format.Segment(e.Id)}">{e.Source} {e.Id}</a></td>
                    <td>{e.Model ?? "—"}</td><td>{(e.RequestId is { } r ? Format.Id(r, "request id") : H($"—"))}</td><td>{e.Status}</td>
                    <td class="n">{(e.Amount is { } a ? Format.Money(a, e.Currency!) : H($"—"))}</td>
                    <td>{(e.Invoices.Count == 0 ? H($"""<span class="hint">not invoiced yet</span>""") : Join(e.Invoices.Select(i => H($"""<a href="/ui/invoices/{Format.Segment(i.Invoice)}">{i.Number}</a> {Format.Money(i.AmountBilled, e.Currency ?? found.Currency)}<br>"""))))}</td></tr>
                    """))}</tbody></table></div>
                <p class="actions">{(cursor is null ? Html.Empty : H($"""<a class="button secondary" href="/ui/disputes{query}">First page</a>"""))}
                {(page.NextCursor is { } next ? H($"""<a class="button secondary" rel="next" href="/ui/disputes{query}&cursor={next}">Next page</a>""") : Html.Empty)}</p>
                """);
        return Layout.Page(http, "Disputes", H($"""
            {form}
            <section aria-labelledby="found-h"><h2 id="found-h">Usage of <a href="/ui/customers/{Format.Segment(q.Customer)}">{q.Customer}</a>{(q.RequestId is null ? $" from {q.From} to {q.To}" : $" with request id {q.RequestId}")}{(q.Model is null ? "" : $", model {q.Model}")}</h2>
            <p class="actions"><a class="button" href="/ui/disputes.csv{query}" download>Download for the ticket (CSV)</a></p>
            <p class="hint">Each amount is the event's rated amount, exact; an invoice shows what it billed for the event (a re-rated event is adjusted on a later invoice). Open an event for its full trace.</p>
            {rows}
            </section>
            """));
    }

    /// <summary>Every matching event (up to 100 pages of 1,000), as CSV a support agent attaches to the ticket.</summary>
    [Requires(Scopes.AuditRead, Scopes.FinanceRead)]
    public static async Task<IResult> Csv(string? customer, string? from, string? to, string? model, string? request, HttpContext http, IQuerySession session,
        NpgsqlDataSource db, CancellationToken ct)
    {
        var q = new Query(Blank(customer), Blank(from), Blank(to), Blank(model), Blank(request));
        if (q.Customer is null)
            return Layout.Problem(http, StatusCodes.Status400BadRequest, "Missing customer", "Choose a customer on the disputes page first.",
                H($"""<p><a href="/ui/disputes">Open the disputes page</a></p>"""));
        var found = await session.LoadAsync<Customer>(Customer.StreamKey(q.Customer), ct);
        var zone = BillingPeriods.Zone(found?.TimeZone ?? "UTC");
        if (Window(q, zone, out var start, out var end) is { } bad) return Layout.Problem(http, StatusCodes.Status400BadRequest, "Invalid window", bad);
        var csv = new StringBuilder("sequence,source,id,usage_at_utc,usage_at_local,model,request_id,status,amount,currency,invoices,trace\n");
        var local = ZonedDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd'T'HH:mm:sso<g>", null);
        string? cursor = null;
        for (var n = 0; n < CsvMaxPages; n++)
        {
            var answer = await GetDisputes.Get(q.Customer, start, end, q.Model, q.RequestId, cursor, TracePaging.MaxLimit, db, ct);
            if (Answers.Value<DisputePage>(answer) is not { } page) return Layout.Problem(http, Answers.Status(answer), "Cannot export", Answers.Detail(answer));
            foreach (var e in page.Events)
                csv.Append(CultureInfo.InvariantCulture, $"{e.Sequence},{RevenueReport.Csv(e.Source)},{RevenueReport.Csv(e.Id)},{InstantPattern.ExtendedIso.Format(e.UsageAt)},")
                    .Append(CultureInfo.InvariantCulture, $"{local.Format(e.UsageAt.InZone(zone))},{RevenueReport.Csv(e.Model ?? "")},{RevenueReport.Csv(e.RequestId ?? "")},{e.Status},")
                    .Append(CultureInfo.InvariantCulture, $"{e.Amount ?? ""},{e.Currency ?? ""},{RevenueReport.Csv(string.Join("; ", e.Invoices.Select(i => $"{i.Number} {i.AmountBilled}")))},{RevenueReport.Csv(e.Trace)}\n");
            if ((cursor = page.NextCursor) is null) break;
        }
        var name = string.Concat($"disputes-{q.Customer}".Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}.csv\"";
        return Results.Text(csv.ToString(), "text/csv", Encoding.UTF8);
    }

    /// <summary>Days (yyyy-MM-dd, both included) in the customer's zone as the API's RFC 3339 window [from, to).</summary>
    private static string? Window(Query q, DateTimeZone zone, out string? start, out string? end)
    {
        (start, end) = (null, null);
        if (q.From is not null)
        {
            if (Day.Parse(q.From) is not { Success: true } f) return "From is a day as yyyy-MM-dd, e.g. 2026-10-01.";
            start = InstantPattern.ExtendedIso.Format(zone.AtStartOfDay(f.Value).ToInstant());
        }
        if (q.To is not null)
        {
            if (Day.Parse(q.To) is not { Success: true } t) return "To is a day as yyyy-MM-dd, e.g. 2026-10-31 (the day itself is included).";
            end = InstantPattern.ExtendedIso.Format(zone.AtStartOfDay(t.Value.PlusDays(1)).ToInstant());
        }
        if (q.RequestId is null && (start is null || end is null)) return "Give both days (from and to), or a request id.";
        return null;
    }

    private static Html Form(Query q) => H($"""
        <form method="get" action="/ui/disputes" class="filters">
          <div><label for="customer">Customer</label><input id="customer" name="customer" value="{q.Customer ?? ""}" required spellcheck="false"></div>
          <div><label for="from">From day</label><input id="from" name="from" type="date" value="{q.From ?? ""}"></div>
          <div><label for="to">To day (included)</label><input id="to" name="to" type="date" value="{q.To ?? ""}"></div>
          <div><label for="model">Model</label><input id="model" name="model" value="{q.Model ?? ""}" placeholder="any model" spellcheck="false"></div>
          <div><label for="request">Request id</label><input id="request" name="request" value="{q.RequestId ?? ""}" placeholder="instead of days" spellcheck="false"></div>
          <button type="submit">Show</button>
        </form>
        <p class="hint">Days are in the customer's time zone. A request id alone searches all time.</p>
        """);

    private static string QueryString(Query q)
    {
        var parts = new List<string> { "customer=" + Uri.EscapeDataString(q.Customer ?? "") };
        if (q.From is not null) parts.Add("from=" + Uri.EscapeDataString(q.From));
        if (q.To is not null) parts.Add("to=" + Uri.EscapeDataString(q.To));
        if (q.Model is not null) parts.Add("model=" + Uri.EscapeDataString(q.Model));
        if (q.RequestId is not null) parts.Add("request=" + Uri.EscapeDataString(q.RequestId));
        return "?" + string.Join('&', parts);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
