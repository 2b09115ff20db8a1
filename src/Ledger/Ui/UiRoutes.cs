using System.Reflection;

namespace Ledger.Ui;

/// <summary>The pages under /ui (docs/ui.md): server-rendered HTML, one local stylesheet and one small script, no build step.</summary>
public static class UiRoutes
{
    public static void Map(WebApplication app)
    {
        UiAccess.Map(app);
        var ui = app.MapGroup("/ui").ExcludeFromDescription();
        ui.MapGet("/", LookupPage.Get);
        ui.MapGet("/customers/{customerId}", CustomerPage.Get);
        ui.MapGet("/customers/{customerId}/spend", CustomerPage.Spend);
        ui.MapGet("/customers/{customerId}/draft", CustomerPage.DraftFragment);
        ui.MapGet("/customers/{customerId}/invoices/upcoming", InvoicePage.Upcoming);
        ui.MapGet("/invoices/{invoiceId}", InvoicePage.Get);
        ui.MapGet("/invoices/{invoiceId}/print", InvoicePage.Print);
        ui.MapGet("/invoices/{invoiceId}/proof", InvoicePage.Proof);
        ui.MapGet("/invoices/{invoiceId}/lines/{line:int}/trace", TracePage.InvoiceLine);
        ui.MapGet("/trace/entries/{id}", TracePage.Entry);
        ui.MapGet("/trace/events/{source}/{id}", TracePage.Event);
        ui.MapGet("/disputes", DisputesPage.Get);
        ui.MapGet("/disputes.csv", DisputesPage.Csv);
        ui.MapGet("/events/{source}/{id}", EventPage.Get);
        ui.MapGet("/journal/{id}", EventPage.JournalEntry);
        ui.MapGet("/revenue", RevenuePage.Get);
        ui.MapGet("/revenue/revenue-by-month.csv", RevenuePage.MonthlyCsv);
        ui.MapGet("/revenue/revenue.csv", RevenuePage.RevenueCsv);
        ui.MapGet("/revenue/deferred-revenue.csv", RevenuePage.DeferredCsv);
        ui.MapGet("/revenue/revenue-waterfall.csv", RevenuePage.WaterfallCsv);
        ui.MapGet("/revenue/billed-vs-recognised.csv", RevenuePage.BilledCsv);
        ui.MapGet("/audit", AuditPage.Get);
        ui.MapPost("/audit/checkpoints", AuditPage.Checkpoint);
        ui.MapGet("/assets/{name}", Asset);
        app.MapFallback("/ui/{**path}", NotFound).ExcludeFromDescription();
    }

    /// <summary>Any other address under /ui: a page that says where to go, not a bare 404.</summary>
    [Access.Requires(Access.Scopes.AuditRead, Access.Scopes.FinanceRead, Access.Scopes.BillingWrite, CustomerOwned = true)]
    private static IResult NotFound(HttpContext http) =>
        Layout.Problem(http, StatusCodes.Status404NotFound, "No such page",
            "There is no page at this address. Start again from the lookup page: it finds events, customers and invoices.",
            Html.H($"""<p><a href="/ui">Go to the lookup page</a></p>"""));

    private static readonly Dictionary<string, string> Types = new(StringComparer.Ordinal)
    {
        ["ui.css"] = "text/css; charset=utf-8", ["ui.js"] = "text/javascript; charset=utf-8",
    };

    private static IResult Asset(string name, HttpContext http)
    {
        if (!Types.TryGetValue(name, out var type)) return Results.NotFound();
        var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ui." + name);
        if (stream is null) return Results.NotFound();
        http.Response.Headers.CacheControl = "public, max-age=300";
        return Results.Stream(stream, type);
    }
}
