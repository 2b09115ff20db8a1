using Ledger.Access;
using Ledger.Customers;
using Ledger.Invoices;
using Ledger.Revenue;
using Ledger.Usage;
using Marten;
using Npgsql;
using static Ledger.Ui.Html;

namespace Ledger.Ui;

/// <summary>
/// <c>/ui?q=</c>: one search box for an event's source and id, a customer id, an invoice number or id, or a journal entry id.
/// Only what the key may read is found: another customer's event or invoice is not there for a customer's key.
/// </summary>
public static class LookupPage
{
    public sealed record Hit(string Kind, string Label, string Href, string? Note = null);

    [Requires(Scopes.AuditRead, Scopes.FinanceRead, Scopes.BillingWrite, CustomerOwned = true)]
    public static async Task<IResult> Get(string? q, HttpContext http, IQuerySession session, NpgsqlDataSource db, CancellationToken ct)
    {
        var query = q?.Trim() ?? "";
        var hits = query.Length == 0 ? [] : await SearchAsync(query, Caller.Of(http), session, db, ct);
        var results = query.Length == 0
            ? Html.Empty
            : hits.Count == 0
                ? H($"""
                    <div class="notice" role="status"><p>Nothing found for <strong>{query}</strong>.</p>
                    <p>Try an event as <code>source/id</code> or <code>source id</code> (e.g. <code>//checkout/req-1</code>), a customer id,
                    an invoice number such as <code>INV-000001</code>, or a journal entry number.</p></div>
                    """)
                : H($"""
                    <section aria-labelledby="results-h"><h2 id="results-h">{hits.Count} found</h2>
                    <ul class="results">{hits.Select(h => H($"""<li><span class="kind">{h.Kind}</span> <a href="{h.Href}">{h.Label}</a>{(h.Note is null ? Html.Empty : H($""" <span class="hint">{h.Note}</span>"""))}</li>"""))}</ul>
                    </section>
                    """);
        return Layout.Page(http, "Lookup", H($"""
            <form method="get" action="/ui" role="search" class="search">
              <label for="q">Event, customer, invoice or journal entry</label>
              <div class="row"><input id="q" name="q" type="search" value="{query}" autofocus spellcheck="false" aria-describedby="q-help">
              <button type="submit">Search</button></div>
              <p id="q-help" class="hint">An event's <code>source/id</code>, a customer id, an invoice number (<code>INV-000001</code>) or id, or a journal entry number.</p>
            </form>
            {results}
            """));
    }

    public static async Task<List<Hit>> SearchAsync(string q, Caller caller, IQuerySession session, NpgsqlDataSource db, CancellationToken ct)
    {
        var hits = new List<Hit>();
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(q), ct);
        if (customer is not null && caller.MayTouch(q))
            hits.Add(new Hit("Customer", customer.CustomerId, $"/ui/customers/{Format.Segment(customer.CustomerId)}", $"{customer.Currency}, {customer.TimeZone}"));

        var invoice = await session.LoadAsync<IssuedInvoice>(q.ToLowerInvariant(), ct)
                      ?? await session.Query<IssuedInvoice>().Where(i => i.Invoice.Number == q.ToUpperInvariant()).FirstOrDefaultAsync(ct);
        if (invoice is not null && caller.MayTouch(invoice.CustomerId))
            hits.Add(new Hit("Invoice", invoice.Invoice.Number ?? invoice.Id, $"/ui/invoices/{Format.Segment(invoice.Id)}", $"customer {invoice.CustomerId}"));

        foreach (var (source, id) in EventKeys(q))
        {
            var stored = await session.Events.LoadAsync(EventKey.ToEventId(source, id), ct);
            if (stored?.Data is UsageRecorded usage && caller.MayRead(usage.CustomerId))
                hits.Add(new Hit("Event", $"{source} {id}", $"/ui/events/{Format.Segment(source)}/{Format.Segment(id)}", $"customer {usage.CustomerId}"));
        }

        if (long.TryParse(q.TrimStart('#'), out var entryId) && (caller.Has(Scopes.FinanceRead) || caller.Has(Scopes.AuditRead)))
        {
            var entries = await JournalQuery.ReadAsync(db, new JournalQuery.Filter(null, null, null, null, 0, 1, entryId), ct);
            foreach (var e in entries)
                hits.Add(new Hit("Journal entry", $"#{e.Id} {e.Description}", $"/ui/trace/entries/{e.Id}", $"{e.Kind}, {e.PostingPeriod}, {Format.MoneyText(e.Amount, e.Currency)}: its trace"));
        }
        return hits;
    }

    /// <summary>
    /// The (source, id) pairs a query may mean: "source id" split at the last space, or "source/id" split at each of the last
    /// few slashes (a source holds slashes itself, as in <c>//checkout/req-1</c>).
    /// </summary>
    public static IEnumerable<(string Source, string Id)> EventKeys(string q)
    {
        var space = q.LastIndexOf(' ');
        if (space > 0) yield return (q[..space].Trim(), q[(space + 1)..]);
        var tries = 0;
        for (var slash = q.LastIndexOf('/'); slash > 0 && tries < 4; slash = q.LastIndexOf('/', slash - 1), tries++)
            if (slash < q.Length - 1) yield return (q[..slash], q[(slash + 1)..]);
    }
}
