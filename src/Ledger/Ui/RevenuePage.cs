using System.Globalization;
using System.Text;
using Ledger.Access;
using Ledger.Revenue;
using Npgsql;
using static Ledger.Ui.Html;

namespace Ledger.Ui;

/// <summary>
/// <c>/ui/revenue</c>: recognised revenue by month and disaggregated by customer, model and type, and the deferred revenue
/// roll-forward, from the finance report endpoints' own methods, as tables, bar charts and CSV downloads.
/// </summary>
public static class RevenuePage
{
    private static readonly string[] Types = [Accounts.UsageRevenue, Accounts.SubscriptionRevenue, Accounts.BreakageRevenue, Accounts.PromotionalCredits];

    private sealed record Month(string Currency, string Period, IReadOnlyDictionary<string, decimal> ByType)
    {
        public decimal Total => ByType.Values.Sum();
    }

    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    public static async Task<IResult> Get(string? from, string? to, string? customer, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        (from, to, customer) = (Blank(from), Blank(to), Blank(customer));
        var revenueAnswer = await RevenueReport.Get(from, to, customer, null, db, ct);
        var deferredAnswer = await DeferredRevenueReport.Get(from, to, customer, null, db, ct);
        var waterfallAnswer = await WaterfallReport.Get(customer, null, db, ct);
        var billedAnswer = await BilledVsRecognisedReport.Get(from, to, customer, null, db, ct);
        var revenue = Answers.Value<RevenueReportView>(revenueAnswer);
        var deferred = Answers.Value<RollForwardView>(deferredAnswer);
        var waterfall = Answers.Value<WaterfallView>(waterfallAnswer);
        var billed = Answers.Value<BilledVsRecognisedView>(billedAnswer);
        var query = QueryOf(from, to, customer);
        var form = H($"""
            <form method="get" action="/ui/revenue" class="filters">
              <div><label for="from">From (yyyy-MM)</label><input id="from" name="from" value="{from ?? ""}" placeholder="2026-01" pattern="\d{"{4}"}-\d{"{2}"}" inputmode="numeric"></div>
              <div><label for="to">To (yyyy-MM)</label><input id="to" name="to" value="{to ?? ""}" placeholder="2026-12" pattern="\d{"{4}"}-\d{"{2}"}" inputmode="numeric"></div>
              <div><label for="customer">Customer</label><input id="customer" name="customer" value="{customer ?? ""}" placeholder="all customers" spellcheck="false"></div>
              <button type="submit">Show</button>
            </form>
            """);
        if (revenue is null || deferred is null || waterfall is null || billed is null)
            return Layout.Page(http, "Revenue", H($"""{form}<div class="notice error" role="alert"><p>{Answers.Detail(revenue is null ? revenueAnswer : deferred is null ? deferredAnswer : waterfall is null ? waterfallAnswer : billedAnswer)}</p></div>"""),
                StatusCodes.Status400BadRequest);
        var months = Months(revenue.Rows);
        return Layout.Page(http, "Revenue", H($"""
            {form}
            <p class="hint">Summed from the double-entry journal, by posting period; amounts exact. The journal posts every few seconds.</p>
            {MonthlySection(months, query)}
            {DetailSection(revenue.Rows, query)}
            {RollForwardSection(deferred.Periods, query)}
            {WaterfallSection(waterfall, query)}
            {BilledSection(billed.Rows, query)}
            """));
    }

    /// <summary>Recognised revenue per month and type, as CSV.</summary>
    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    public static async Task<IResult> MonthlyCsv(string? from, string? to, string? customer, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var answer = await RevenueReport.Get(Blank(from), Blank(to), Blank(customer), null, db, ct);
        if (Answers.Value<RevenueReportView>(answer) is not { } revenue) return answer;
        var csv = new StringBuilder("currency,period," + string.Join(',', Types) + ",total\n");
        foreach (var m in Months(revenue.Rows))
            csv.Append(CultureInfo.InvariantCulture, $"{m.Currency},{m.Period},{string.Join(',', Types.Select(t => Exact(m.ByType.GetValueOrDefault(t), m.Currency)))},{Exact(m.Total, m.Currency)}\n");
        return Download(http, "revenue-by-month.csv", Results.Text(csv.ToString(), "text/csv", Encoding.UTF8));
    }

    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    public static async Task<IResult> RevenueCsv(string? from, string? to, string? customer, HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
        Download(http, "revenue.csv", await RevenueReport.Get(Blank(from), Blank(to), Blank(customer), "csv", db, ct));

    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    public static async Task<IResult> DeferredCsv(string? from, string? to, string? customer, HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
        Download(http, "deferred-revenue.csv", await DeferredRevenueReport.Get(Blank(from), Blank(to), Blank(customer), "csv", db, ct));

    /// <summary>The revenue waterfall as CSV (the customer filter applies; it covers all months).</summary>
    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    public static async Task<IResult> WaterfallCsv(string? customer, HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
        Download(http, "revenue-waterfall.csv", await WaterfallReport.Get(Blank(customer), "csv", db, ct));

    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    public static async Task<IResult> BilledCsv(string? from, string? to, string? customer, HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
        Download(http, "billed-vs-recognised.csv", await BilledVsRecognisedReport.Get(Blank(from), Blank(to), Blank(customer), "csv", db, ct));

    private static IResult Download(HttpContext http, string name, IResult answer)
    {
        if (Answers.Status(answer) < 400) http.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
        return answer;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string QueryOf(string? from, string? to, string? customer)
    {
        var parts = new List<string>();
        if (from is not null) parts.Add("from=" + Uri.EscapeDataString(from));
        if (to is not null) parts.Add("to=" + Uri.EscapeDataString(to));
        if (customer is not null) parts.Add("customer=" + Uri.EscapeDataString(customer));
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    private static string Exact(decimal amount, string currency) => new Kernel.Money(amount, currency).ToExactString();

    private static decimal Dec(string amount) => decimal.Parse(amount, CultureInfo.InvariantCulture);

    private static List<Month> Months(IReadOnlyList<RevenueRow> rows) =>
        rows.GroupBy(r => (r.Currency, r.Period)).OrderBy(g => g.Key.Currency, StringComparer.Ordinal).ThenBy(g => g.Key.Period, StringComparer.Ordinal)
            .Select(g => new Month(g.Key.Currency, g.Key.Period, g.GroupBy(r => r.Type).ToDictionary(t => t.Key, t => t.Sum(r => Dec(r.Amount)))))
            .ToList();

    private static Html Download(string href, string what) => H($"""<p><a class="button" href="{href}" download>Download {what} (CSV)</a></p>""");

    private static Html MonthlySection(List<Month> months, string query)
    {
        if (months.Count == 0)
            return Section("monthly-h", "Recognised revenue by month", H($"""<p class="empty">No revenue in these months. Revenue appears once usage is rated and the journal has posted it; widen the months or clear the customer.</p>"""));
        var charts = months.GroupBy(m => m.Currency).Select(g =>
            BarChart.Render($"revenue-chart-{g.Key}", $"Recognised revenue by month, {g.Key}", g.Key, g.Select(m => (m.Period, m.Total)).ToList()));
        var rows = months.Select(m => H($"""
            <tr><th scope="row">{m.Period}</th><td>{m.Currency}</td>{Types.Select(t => H($"""<td class="n">{Format.Money(m.ByType.GetValueOrDefault(t), m.Currency)}</td>"""))}<td class="n"><strong>{Format.Money(m.Total, m.Currency)}</strong></td></tr>
            """));
        return Section("monthly-h", "Recognised revenue by month", H($"""
            {charts}
            <div class="scroll"><table id="monthly">
            <caption>Revenue accounts per posting period; promotional credits are contra-revenue (negative)</caption>
            <thead><tr><th scope="col">Month</th><th scope="col">Currency</th>{Types.Select(t => H($"""<th scope="col" class="n">{Label(t)}</th>"""))}<th scope="col" class="n">Total</th></tr></thead>
            <tbody>{rows}</tbody></table></div>
            {Download("/ui/revenue/revenue-by-month.csv" + query, "revenue by month")}
            """));
    }

    private static Html DetailSection(IReadOnlyList<RevenueRow> rows, string query)
    {
        if (rows.Count == 0) return Html.Empty;
        var body = rows.Select(r => H($"""
            <tr><td>{r.Period}</td><td><a href="/ui/customers/{Format.Segment(r.Customer)}">{r.Customer}</a></td><td>{r.Model ?? "—"}</td><td>{Label(r.Type)}</td><td class="n">{Format.Money(r.Amount, r.Currency)}</td><td>{UsageLink(r)}</td></tr>
            """));
        return Section("detail-h", "By customer, model and type", H($"""
            <div class="scroll"><table id="disaggregation">
            <caption>Revenue disaggregated (ASC 606 / IFRS 15): per month, customer, model and type</caption>
            <thead><tr><th scope="col">Month</th><th scope="col">Customer</th><th scope="col">Model</th><th scope="col">Type</th><th scope="col" class="n">Amount</th><th scope="col">Events</th></tr></thead>
            <tbody>{body}</tbody></table></div>
            {Download("/ui/revenue/revenue.csv" + query, "revenue by customer, model and type")}
            """));
    }

    private static Html RollForwardSection(IReadOnlyList<RollForwardRow> periods, string query)
    {
        if (periods.Count == 0)
            return Section("deferred-h", "Deferred revenue roll-forward", H($"""<p class="empty">No deferred revenue: no prepaid credits were sold in these months.</p>"""));
        var charts = periods.GroupBy(p => p.Currency).Select(g =>
            BarChart.Render($"deferred-chart-{g.Key}", $"Deferred revenue at month end, {g.Key}", g.Key, g.Select(p => (p.Period, Dec(p.Closing))).ToList()));
        var rows = periods.Select(p => H($"""
            <tr><th scope="row">{p.Period}</th><td>{p.Currency}</td><td class="n">{Format.Money(p.Opening, p.Currency)}</td><td class="n">{Format.Money(p.Purchases, p.Currency)}</td>
            <td class="n">{Format.Money(p.Billings, p.Currency)}</td><td class="n">{Format.Money(p.Recognised, p.Currency)}</td><td class="n">{Format.Money(p.Breakage, p.Currency)}</td><td class="n">{Format.Money(p.Voids, p.Currency)}</td>
            <td class="n"><strong>{Format.Money(p.Closing, p.Currency)}</strong></td></tr>
            """));
        return Section("deferred-h", "Deferred revenue roll-forward", H($"""
            {charts}
            <div class="scroll"><table id="roll-forward">
            <caption>Contract liability: opening + purchases + billings − recognised − breakage − voids = closing</caption>
            <thead><tr><th scope="col">Month</th><th scope="col">Currency</th><th scope="col" class="n">Opening</th><th scope="col" class="n">Purchases</th>
            <th scope="col" class="n">Billings</th><th scope="col" class="n">Recognised</th><th scope="col" class="n">Breakage</th><th scope="col" class="n">Voids</th><th scope="col" class="n">Closing</th></tr></thead>
            <tbody>{rows}</tbody></table></div>
            {Download("/ui/revenue/deferred-revenue.csv" + query, "the roll-forward")}
            """));
    }

    /// <summary>A usage revenue row opens the disputes page on its customer, month and model: the events behind it, each with its trace.</summary>
    private static Html UsageLink(RevenueRow r)
    {
        if (r.Type != Accounts.UsageRevenue || r.Period.Length < 7 || !DateOnly.TryParseExact(r.Period[..7] + "-01", "yyyy-MM-dd", out var first)) return Html.Empty;
        var href = $"/ui/disputes?customer={Uri.EscapeDataString(r.Customer)}&from={first:yyyy-MM-dd}&to={first.AddMonths(1).AddDays(-1):yyyy-MM-dd}" +
                   (r.Model is null ? "" : "&model=" + Uri.EscapeDataString(r.Model));
        return H($"""<a href="{href}" aria-label="Usage events of {r.Customer}, {r.Period}{(r.Model is null ? "" : ", " + r.Model)}">events</a>""");
    }

    private static Html WaterfallSection(WaterfallView view, string query)
    {
        if (view.Rows.Count == 0)
            return Section("waterfall-h", "Revenue waterfall", H($"""<p class="empty">Nothing booked into deferred revenue: no prepaid credits sold and no fees billed in advance{(view.Customer is null ? "" : " for this customer")}.</p>"""));
        var body = view.Rows.Select(r => H($"""
            <tr><th scope="row">{r.BookedIn}</th><td>{r.Currency}</td><td class="n">{Format.Money(r.Booked, r.Currency)}</td>
            {view.Months.Select(m => r.Recognised.TryGetValue(m, out var a) ? H($"""<td class="n">{Format.Money(a, r.Currency)}</td>""") : H($"""<td class="n muted">—</td>"""))}
            <td class="n">{Format.Money(r.Voided, r.Currency)}</td><td class="n"><strong>{Format.Money(r.Deferred, r.Currency)}</strong></td></tr>
            """));
        var customerOnly = query.Split('&', '?').FirstOrDefault(p => p.StartsWith("customer=", StringComparison.Ordinal));
        return Section("waterfall-h", "Revenue waterfall", H($"""
            <div class="scroll"><table id="waterfall">
            <caption>Rows: the month revenue was booked into deferred revenue; columns: the month it was recognised. booked − recognised − voided = still deferred (all months; the customer filter applies)</caption>
            <thead><tr><th scope="col">Booked in</th><th scope="col">Currency</th><th scope="col" class="n">Booked</th>{view.Months.Select(m => H($"""<th scope="col" class="n">{m}</th>"""))}<th scope="col" class="n">Voided</th><th scope="col" class="n">Still deferred</th></tr></thead>
            <tbody>{body}</tbody></table></div>
            {Download("/ui/revenue/revenue-waterfall.csv" + (customerOnly is null ? "" : "?" + customerOnly), "the waterfall")}
            """));
    }

    private static Html BilledSection(IReadOnlyList<BilledVsRecognisedRow> rows, string query)
    {
        if (rows.Count == 0)
            return Section("billed-h", "Billed vs recognised", H($"""<p class="empty">No journal entries in these months. Widen the months or clear the customer.</p>"""));
        var body = rows.Select(r => H($"""
            <tr><td>{r.Period}</td><td><a href="/ui/customers/{Format.Segment(r.Customer)}">{r.Customer}</a></td><td>{r.Currency}</td>
            <td class="n">{Format.Money(r.Billed, r.Currency)}</td><td class="n">{Format.Money(r.Recognised, r.Currency)}</td><td class="n">{Format.Money(r.UnbilledChange, r.Currency)}</td>
            <td class="n">{Format.Money(r.DeferredChange, r.Currency)}</td><td class="n">{Format.Money(r.CreditNotes, r.Currency)}</td></tr>
            """));
        return Section("billed-h", "Billed vs recognised", H($"""
            <div class="scroll"><table id="billed-vs-recognised">
            <caption>Per customer and posting period: billed = recognised − unbilled change + deferred change + credit notes, exactly</caption>
            <thead><tr><th scope="col">Month</th><th scope="col">Customer</th><th scope="col">Currency</th><th scope="col" class="n">Billed</th><th scope="col" class="n">Recognised</th>
            <th scope="col" class="n">Unbilled change</th><th scope="col" class="n">Deferred change</th><th scope="col" class="n">Credit notes</th></tr></thead>
            <tbody>{body}</tbody></table></div>
            {Download("/ui/revenue/billed-vs-recognised.csv" + query, "billed vs recognised")}
            """));
    }

    private static string Label(string type) => type switch
    {
        Accounts.UsageRevenue => "Usage",
        Accounts.SubscriptionRevenue => "Subscription",
        Accounts.BreakageRevenue => "Breakage",
        Accounts.PromotionalCredits => "Promotional credits",
        _ => type
    };

    private static Html Section(string id, string title, Html body) =>
        H($"""<section aria-labelledby="{id}"><h2 id="{id}">{title}</h2>{body}</section>""");
}
