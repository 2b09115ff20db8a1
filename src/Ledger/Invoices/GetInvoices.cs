using Ledger.Access;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Wolverine.Http;

namespace Ledger.Invoices;

/// <summary>An issued invoice in a list: what finance scans for.</summary>
public sealed record InvoiceSummary(string Id, string Number, InvoicePeriod Period, string Currency, string Total, Instant? IssuedAt);

public static class GetInvoices
{
    [WolverineGet("/v1/invoices/{invoiceId}")]
    [Requires(Scopes.BillingWrite, Scopes.FinanceRead, Scopes.AuditRead, CustomerOwned = true)]
    [Tags("Invoices"), EndpointSummary("An issued invoice, as it was issued")]
    [ProducesResponseType<InvoiceView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(string invoiceId, HttpContext http, IQuerySession session, CancellationToken ct)
    {
        invoiceId = RouteValue.Decode(invoiceId).ToLowerInvariant();
        var found = await session.LoadAsync<IssuedInvoice>(invoiceId, ct);
        return found is null || !Caller.Of(http).MayTouch(found.CustomerId)
            ? Problems.NotFound($"No invoice \"{invoiceId}\". GET /v1/customers/{{id}}/invoices lists a customer's invoices.")
            : Results.Json(found.Invoice);
    }

    [WolverineGet("/v1/invoices/{invoiceId}.html")]
    [Requires(Scopes.BillingWrite, Scopes.FinanceRead, Scopes.AuditRead, CustomerOwned = true)]
    [Tags("Invoices"), EndpointSummary("An issued invoice as a printable HTML page")]
    [ProducesResponseType<string>(StatusCodes.Status200OK, "text/html")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> GetHtml(string invoiceId, HttpContext http, IQuerySession session, CancellationToken ct)
    {
        var answer = await Get(invoiceId, http, session, ct);
        return answer is Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<InvoiceView> { Value: { } invoice }
            ? Results.Content(InvoiceHtml.Render(invoice), "text/html; charset=utf-8")
            : answer;
    }

    [WolverineGet("/v1/customers/{customerId}/invoices")]
    [Requires(Scopes.BillingWrite, Scopes.FinanceRead, Scopes.AuditRead, CustomerRoute = "customerId")]
    [Tags("Invoices"), EndpointSummary("A customer's issued invoices, newest first")]
    [ProducesResponseType<InvoiceSummary[]>(StatusCodes.Status200OK)]
    public static async Task<IResult> List(string customerId, IQuerySession session, CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        return Results.Json(new { invoices = await ListAsync(session, customerId, ct) });
    }

    /// <summary>A customer's issued invoices, newest first (also shown on the customer's page under /ui).</summary>
    public static async Task<IReadOnlyList<InvoiceSummary>> ListAsync(IQuerySession session, string customerId, CancellationToken ct)
    {
        var invoices = await session.Query<IssuedInvoice>().Where(i => i.CustomerId == customerId).OrderByDescending(i => i.Seq).ToListAsync(ct);
        return invoices.Select(i => new InvoiceSummary(i.Id, i.Invoice.Number!, i.Invoice.Period, i.Invoice.Currency, i.Invoice.Total, i.Invoice.IssuedAt)).ToList();
    }
}
