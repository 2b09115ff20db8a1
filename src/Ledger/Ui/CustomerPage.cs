using Ledger.Access;
using Ledger.Budgets;
using Ledger.Credits;
using Ledger.Customers;
using Ledger.Hosting;
using Ledger.Invoices;
using Marten;
using NodaTime;
using Npgsql;
using static Ledger.Ui.Html;

namespace Ledger.Ui;

/// <summary>
/// <c>/ui/customers/{id}</c>: spend against budget (live), credit grants, holds, the draft invoice, issued invoices and the alerts
/// recorded for the customer. Each part is read by the endpoint method or query the API uses for it.
/// </summary>
public static class CustomerPage
{
    [Requires(Scopes.AuditRead, Scopes.FinanceRead, Scopes.BillingWrite, CustomerRoute = "customerId")]
    public static async Task<IResult> Get(string customerId, HttpContext http, IQuerySession session, IDocumentStore store, NpgsqlDataSource db,
        IClock clock, CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct);
        if (customer is null)
            return Layout.Problem(http, StatusCodes.Status404NotFound, "No such customer",
                $"No customer \"{customerId}\" exists. Check the id, or look it up from an event or invoice.", H($"""<p><a href="/ui">Back to lookup</a></p>"""));
        var zone = BillingPeriods.Zone(customer.TimeZone);
        var spend = await SpendFragment(customerId, session, db, clock, ct);
        var credits = Answers.Value<CreditsView>(await GetCredits.Get(customerId, store, db, ct));
        var draft = Answers.Value<InvoiceView>(await UpcomingInvoice.Get(customerId, store, db, clock, ct));
        var invoices = await GetInvoices.ListAsync(session, customerId, ct);
        var holds = await HoldsAsync(db, customerId, ct);
        var alerts = await AlertsAsync(session, customerId, ct);
        var live = $"/ui/customers/{Format.Segment(customerId)}/spend";
        return Layout.Page(http, $"Customer {customerId}", H($"""
            <dl class="facts">
              <div><dt>Customer</dt><dd>{Format.Id(customerId, "customer id")}</dd></div>
              <div><dt>Currency</dt><dd>{customer.Currency}</dd></div>
              <div><dt>Time zone</dt><dd>{customer.TimeZone} <span class="hint">(times below are shown in it; hover for UTC)</span></dd></div>
              <div><dt>Price book</dt><dd>{customer.PriceBook ?? "none yet"}</dd></div>
              <div><dt>Credit policy</dt><dd>{customer.Credits.Policy.ToString().ToLowerInvariant()}</dd></div>
            </dl>
            {When(Caller.Of(http).Has(Scopes.FinanceRead) || Caller.Of(http).Has(Scopes.AuditRead), H($"""<p class="actions"><a class="button secondary" href="/ui/disputes?customer={Format.Segment(customerId)}">Disputed charges</a> <a class="button secondary" href="/ui/revenue?customer={Format.Segment(customerId)}">Revenue</a></p>"""))}
            <section aria-labelledby="spend-h">
              <h2 id="spend-h">Spend now</h2>
              <div id="spend" data-live="{live}" aria-live="polite">{spend}</div>
            </section>
            {Grants(credits, zone)}
            {Holds(holds, customer.Currency, zone)}
            {Draft(customerId, draft, zone)}
            {Invoices(invoices, zone)}
            {Alerts(alerts, zone)}
            """));
    }

    /// <summary>The live part: the balance endpoint's figures, fetched again by the page's script every few seconds.</summary>
    [Requires(Scopes.AuditRead, Scopes.FinanceRead, Scopes.BillingWrite, CustomerRoute = "customerId")]
    public static async Task<IResult> Spend(string customerId, IQuerySession session, NpgsqlDataSource db, IClock clock, CancellationToken ct) =>
        Layout.Fragment(await SpendFragment(RouteValue.Decode(customerId), session, db, clock, ct));

    private static async Task<Html> SpendFragment(string customerId, IQuerySession session, NpgsqlDataSource db, IClock clock, CancellationToken ct)
    {
        var answer = await GetBalance.Get(customerId, session, db, clock, ct);
        if (Answers.Value<BalanceView>(answer) is not { } b)
            return H($"""<p class="notice error">{Answers.Detail(answer)}</p>""");
        var c = b.Currency;
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct);
        var zone = BillingPeriods.Zone(customer?.TimeZone ?? "UTC");
        var budget = b.Budget is { } bb
            ? H($"""
                <p class="headline"><span id="budget-spend">{Format.Money(bb.Spend, c)}</span> spent of a {Format.Money(bb.Amount, c)} {bb.Period}ly budget
                 · {Format.Money(bb.Remaining, c)} left</p>
                <progress id="budget-progress" max="{Math.Max(Dec(bb.Amount), 0.000001m)}" value="{Math.Min(Math.Max(Dec(bb.Spend), 0m), Math.Max(Dec(bb.Amount), 0.000001m))}"
                  aria-label="Budget used">{Format.Percent(Dec(bb.Amount) == 0 ? 1 : Dec(bb.Spend) / Dec(bb.Amount))}</progress>
                """)
            : H($"""<p class="headline">No budget set.</p>""");
        return H($"""
            {budget}
            <dl class="figures">
              <div><dt>Spend this billing period</dt><dd id="period-spend">{Format.Money(b.PeriodSpend, c)}</dd></div>
              <div><dt>Credits remaining</dt><dd>{Format.Money(b.CreditsRemaining, c)}</dd></div>
              <div><dt>Contract allowance remaining</dt><dd>{Format.Money(b.AllowanceRemaining, c)}</dd></div>
              <div><dt>Held</dt><dd>{Format.Money(b.Held, c)}</dd></div>
              <div><dt>Available</dt><dd>{Format.Money(b.Available, c)}</dd></div>
              <div><dt>Overage accrued</dt><dd>{Format.Money(b.OverageAccrued, c)}</dd></div>
            </dl>
            <p class="hint">Billing period {Format.Time(b.Period.From, zone)} – {Format.Time(b.Period.To, zone)}; as of ledger position {b.AsOf}. Updates every few seconds.</p>
            """);
    }

    private static decimal Dec(string amount) => decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture);

    private static Html Grants(CreditsView? credits, DateTimeZone zone)
    {
        if (credits is null || credits.Grants.Count == 0)
            return Section("grants-h", "Credit grants", H($"""<p class="empty">No credit grants. Grant or sell credits with <code>POST /v1/customers/{"{id}"}/credits</code>.</p>"""));
        var c = credits.Currency;
        var rows = credits.Grants.Select(g => H($"""
            <tr><td>{Format.Id(g.Id, "grant id")}</td><td>{g.Kind}</td><td class="n">{g.Priority}</td><td class="n">{Format.Money(g.Amount, c)}</td>
            <td class="n">{Format.Money(g.Drawn, c)}</td><td class="n">{Format.Money(g.Expired, c)}</td><td class="n"><strong>{Format.Money(g.Remaining, c)}</strong></td>
            <td>{g.Status}</td><td>{Format.Time(g.EffectiveAt, zone)}</td><td>{Format.Time(g.ExpiresAt, zone, "never")}</td></tr>
            """));
        return Section("grants-h", "Credit grants", H($"""
            <div class="scroll"><table>
            <caption>In drawdown order; {Format.Money(credits.Remaining, c)} remaining in all, as of ledger position {credits.AsOf}</caption>
            <thead><tr><th scope="col">Grant</th><th scope="col">Kind</th><th scope="col" class="n">Priority</th><th scope="col" class="n">Amount</th>
            <th scope="col" class="n">Drawn</th><th scope="col" class="n">Expired</th><th scope="col" class="n">Remaining</th><th scope="col">Status</th>
            <th scope="col">Effective</th><th scope="col">Expires</th></tr></thead>
            <tbody>{rows}</tbody></table></div>
            """));
    }

    private sealed record HoldRow(string Id, decimal Amount, Instant ExpiresAt, string Status);

    private static async Task<List<HoldRow>> HoldsAsync(NpgsqlDataSource db, string customerId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(
            "select hold_id, amount, expires_at, status from ledger.credit_holds where customer_id = $1 order by placed_seq desc limit 20");
        cmd.Parameters.Add(new NpgsqlParameter { Value = customerId });
        var rows = new List<HoldRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new HoldRow(reader.GetString(0), reader.GetDecimal(1), Instant.FromDateTimeUtc(DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc)), reader.GetString(3)));
        return rows;
    }

    private static Html Holds(List<HoldRow> holds, string currency, DateTimeZone zone)
    {
        if (holds.Count == 0)
            return Section("holds-h", "Holds", H($"""<p class="empty">No holds. A hold reserves credit before an expensive call (<code>POST /v1/holds</code>).</p>"""));
        var rows = holds.Select(h => H($"""<tr><td>{Format.Id(h.Id, "hold id")}</td><td class="n">{Format.Money(h.Amount, currency)}</td><td>{h.Status}</td><td>{Format.Time(h.ExpiresAt, zone)}</td></tr>"""));
        return Section("holds-h", "Holds", H($"""
            <table><caption>The latest 20, newest first; held and settling ones reserve credit</caption>
            <thead><tr><th scope="col">Hold</th><th scope="col" class="n">Amount</th><th scope="col">Status</th><th scope="col">Expires</th></tr></thead>
            <tbody>{rows}</tbody></table>
            """));
    }

    /// <summary>The draft invoice's figures, fetched again by the page's script every few seconds like the spend.</summary>
    [Requires(Scopes.BillingWrite, Scopes.FinanceRead, Scopes.AuditRead, CustomerRoute = "customerId")]
    public static async Task<IResult> DraftFragment(string customerId, IQuerySession session, IDocumentStore store, NpgsqlDataSource db, IClock clock,
        CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct);
        var draft = Answers.Value<InvoiceView>(await UpcomingInvoice.Get(customerId, store, db, clock, ct));
        return Layout.Fragment(DraftFigures(draft, BillingPeriods.Zone(customer?.TimeZone ?? "UTC")));
    }

    private static Html DraftFigures(InvoiceView? draft, DateTimeZone zone)
    {
        if (draft is null) return H($"""<p class="notice error">The draft invoice could not be composed; reload the page in a moment.</p>""");
        var c = draft.Currency;
        return H($"""
            <p>Period {Format.Time(draft.Period.From, zone)} – {Format.Time(draft.Period.To, zone)}: {draft.Lines.Count} lines, total so far
            <strong id="draft-total">{Format.Money(draft.Total, c)}</strong> (subtotal <span id="draft-subtotal">{Format.Money(draft.Subtotal, c)}</span>, credits applied {Format.Money(draft.CreditsApplied, c)}).</p>
            <p class="hint">As of ledger position {draft.AsOf}. Updates every few seconds.</p>
            """);
    }

    private static Html Draft(string customerId, InvoiceView? draft, DateTimeZone zone) =>
        Section("draft-h", "Draft invoice", H($"""
            <div id="draft" data-live="/ui/customers/{Format.Segment(customerId)}/draft" aria-live="polite">{DraftFigures(draft, zone)}</div>
            <p><a href="/ui/customers/{Format.Segment(customerId)}/invoices/upcoming">Open the draft invoice</a></p>
            """));

    private static Html Invoices(IReadOnlyList<InvoiceSummary> invoices, DateTimeZone zone)
    {
        if (invoices.Count == 0)
            return Section("invoices-h", "Issued invoices", H($"""<p class="empty">No invoices issued yet. A billing period is invoiced an hour after it ends.</p>"""));
        var rows = invoices.Select(i => H($"""
            <tr><td><a href="/ui/invoices/{Format.Segment(i.Id)}">{i.Number}</a></td><td>{Format.Time(i.Period.From, zone)} – {Format.Time(i.Period.To, zone)}</td>
            <td class="n">{Format.Money(i.Total, i.Currency)}</td><td>{Format.Time(i.IssuedAt, zone)}</td></tr>
            """));
        return Section("invoices-h", "Issued invoices", H($"""
            <table><caption>Newest first</caption>
            <thead><tr><th scope="col">Number</th><th scope="col">Period</th><th scope="col" class="n">Total</th><th scope="col">Issued</th></tr></thead>
            <tbody>{rows}</tbody></table>
            """));
    }

    private sealed record AlertRow(Instant At, string Kind, Html What);

    private static async Task<List<AlertRow>> AlertsAsync(IQuerySession session, string customerId, CancellationToken ct)
    {
        var budget = await session.Events.QueryRawEventDataOnly<BudgetThresholdCrossed>().Where(e => e.CustomerId == customerId).Take(100).ToListAsync(ct);
        var low = await session.Events.QueryRawEventDataOnly<LowCreditBalance>().Where(e => e.CustomerId == customerId).Take(100).ToListAsync(ct);
        var exhausted = await session.Events.QueryRawEventDataOnly<CreditsExhausted>().Where(e => e.CustomerId == customerId).Take(100).ToListAsync(ct);
        return budget.Select(b => new AlertRow(b.DetectedAt, BudgetAlerts.WebhookType,
                H($"{Format.Percent(b.Threshold)} of the {Format.Money(b.Budget.Amount, b.Budget.Currency)} budget reached: {Format.Money(b.Spend.Amount, b.Spend.Currency)} spent")))
            .Concat(low.Select(l => new AlertRow(l.DetectedAt, CreditAlerts.LowBalance,
                H($"Credit below {Format.Money(l.Threshold.Amount, l.Threshold.Currency)}: {Format.Money(l.Remaining.Amount, l.Remaining.Currency)} left"))))
            .Concat(exhausted.Select(e => new AlertRow(e.DetectedAt, CreditAlerts.Exhausted,
                H($"Credits ran out ({e.Policy.ToString().ToLowerInvariant()} policy): {Format.Money(e.Uncovered.Amount, e.Uncovered.Currency)} not covered"))))
            .OrderByDescending(a => a.At).Take(50).ToList();
    }

    private static Html Alerts(List<AlertRow> alerts, DateTimeZone zone)
    {
        if (alerts.Count == 0)
            return Section("alerts-h", "Alerts sent", H($"""<p class="empty">No alerts yet. Budget thresholds and low credit are announced by webhook when reached.</p>"""));
        var rows = alerts.Select(a => H($"""<tr><td>{Format.Time(a.At, zone)}</td><td><code>{a.Kind}</code></td><td>{a.What}</td></tr>"""));
        return Section("alerts-h", "Alerts sent", H($"""
            <table><caption>Recorded alerts, newest first; each is delivered to the registered webhooks</caption>
            <thead><tr><th scope="col">When</th><th scope="col">Type</th><th scope="col">What</th></tr></thead>
            <tbody>{rows}</tbody></table>
            """));
    }

    private static Html Section(string id, string title, Html body) =>
        H($"""<section aria-labelledby="{id}"><h2 id="{id}">{title}</h2>{body}</section>""");
}
