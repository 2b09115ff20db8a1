using System.Text.Json;
using Ledger.Access;
using Ledger.Customers;
using Ledger.Revenue;
using Ledger.Usage;
using Marten;
using Npgsql;
using static Ledger.Ui.Html;

namespace Ledger.Ui;

/// <summary>A usage event as received, where the ledger keeps it and what rating made of it (GET /v1/events/{source}/{id}).</summary>
public static class EventPage
{
    private static readonly JsonSerializerOptions Pretty = PrettyOptions();

    [Requires(Scopes.AuditRead, Scopes.FinanceRead, CustomerOwned = true)]
    public static async Task<IResult> Get(string source, string id, HttpContext http, IQuerySession session, NpgsqlDataSource db, CancellationToken ct)
    {
        var answer = await GetEvent.Get(source, id, http, session, db, ct);
        if (Answers.Value<StoredEvent>(answer) is not { } stored)
            return Answers.Problem(http, answer, "No such event", H($"""<p>Check the source and id on <a href="/ui">the lookup page</a>.</p>"""));
        var customerId = stored.Event["subject"]?.GetValue<string>() ?? "";
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct);
        var zone = BillingPeriods.Zone(customer?.TimeZone ?? "UTC");
        var rating = stored.Rating;
        var amount = rating.Amount is { } a && rating.Currency is { } c ? Format.Money(a, c) : H($"—");
        var caller = Caller.Of(http);
        var traceHref = $"/ui/trace/events/{Format.Segment(stored.Event["source"]?.GetValue<string>() ?? "")}/{Format.Segment(stored.Event["id"]?.GetValue<string>() ?? "")}";
        var trace = caller.Has(Scopes.AuditRead) || caller.Has(Scopes.FinanceRead)
            ? H($"""
                <p class="actions"><a class="button" href="{traceHref}">Trace this event</a>
                <span class="hint">its rating, drawdowns, invoices, journal entries and revenue, with its hash-chain status</span></p>
                """)
            : Html.Empty;
        return Layout.Page(http, "Usage event", H($"""
            {trace}
            <dl class="facts">
              <div><dt>Source</dt><dd>{Format.Id(stored.Event["source"]?.GetValue<string>() ?? "", "source")}</dd></div>
              <div><dt>Id</dt><dd>{Format.Id(stored.Event["id"]?.GetValue<string>() ?? "", "event id")}</dd></div>
              <div><dt>Customer</dt><dd><a href="/ui/customers/{Format.Segment(customerId)}">{customerId}</a></dd></div>
              <div><dt>Usage time</dt><dd>{(NodaTime.Text.InstantPattern.ExtendedIso.Parse(stored.Event["time"]?.GetValue<string>() ?? "") is { Success: true } t ? Format.Time(t.Value, zone) : H($"—"))}</dd></div>
              <div><dt>Recorded</dt><dd>{Format.Time(stored.Ledger.RecordedAt, zone)}</dd></div>
              <div><dt>Ledger sequence</dt><dd>{stored.Ledger.Sequence}</dd></div>
              <div><dt>Content hash</dt><dd>{Format.Id(stored.Ledger.ContentHash, "content hash")}</dd></div>
              <div><dt>Rating</dt><dd>{rating.Status} {amount} {(rating.Reason is null ? Html.Empty : H($"""<span class="hint">({rating.Reason})</span>"""))}</dd></div>
            </dl>
            <section aria-labelledby="ce-h"><h2 id="ce-h">As received</h2>
            <pre tabindex="0" aria-label="The CloudEvent as JSON"><code>{stored.Event.ToJsonString(Pretty)}</code></pre></section>
            <section aria-labelledby="rating-h"><h2 id="rating-h">Rating</h2>
            <pre tabindex="0" aria-label="The rating as JSON"><code>{JsonSerializer.Serialize(rating, Pretty)}</code></pre></section>
            """));
    }

    /// <summary>A journal entry with its lines and causes, as the API's JSON (a page of its own comes with the trace).</summary>
    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    public static Task<IResult> JournalEntry(string id, NpgsqlDataSource db, CancellationToken ct) => GetJournal.Get(id, db, ct);

    private static JsonSerializerOptions PrettyOptions()
    {
        var options = new JsonSerializerOptions { WriteIndented = true };
        Hosting.Json.Configure(options);
        return options;
    }
}
