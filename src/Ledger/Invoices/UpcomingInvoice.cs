using System.Data;
using Ledger.Access;
using Ledger.Customers;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Invoices;

public static class UpcomingInvoice
{
    [WolverineGet("/v1/customers/{customerId}/invoices/upcoming")]
    [Requires(Scopes.BillingWrite, Scopes.FinanceRead, Scopes.AuditRead, CustomerRoute = "customerId")]
    [Tags("Invoices"), EndpointSummary("The draft invoice of the open billing period, as rated so far")]
    [EndpointDescription("The period is the contract's billing period when the customer has a contract (with a fee line per segment, " +
        "prorated), else the calendar month. Lines per (model, mode, meter) with quantity, unit price and amount, the allowance used, " +
        "adjustments to issued invoices for late or re-rated usage, then the prepaid credits applied; each line rounded once to the " +
        "currency's minor unit (half away from zero), subtotal, credits_applied and total the sums of rounded lines; unrounded_total the " +
        "exact figure. Composed exactly as the issued invoice will be, at one ledger position (as_of).")]
    [ProducesResponseType<InvoiceView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(string customerId, IDocumentStore store, NpgsqlDataSource db, IClock clock, CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        await using var conn = await db.OpenConnectionAsync(ct);
        // One snapshot, one rating position; nothing is written (the staged rows are dropped with the transaction).
        await using var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await using var session = store.QuerySession(Marten.Services.SessionOptions.ForTransaction(tx));
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct);
        if (customer is null) return Problems.NotFound($"No customer \"{customerId}\". Create it with PUT /v1/customers/{{id}}.");
        var period = CustomerPeriods.Of(customer, clock.GetCurrentInstant());
        var heading = new InvoiceDraft.Heading("upcoming", null, "draft", customerId, customer.Currency, period.Span, null);
        var invoice = await InvoiceComposer.ComposeAsync(conn, tx, session, customer, period, heading, ct);
        await tx.RollbackAsync(ct);
        return Results.Json(invoice);
    }

    [WolverineGet("/v1/customers/{customerId}/invoices/upcoming.html")]
    [Requires(Scopes.BillingWrite, Scopes.FinanceRead, Scopes.AuditRead, CustomerRoute = "customerId")]
    [Tags("Invoices"), EndpointSummary("The draft invoice of the open billing period as a printable HTML page")]
    [ProducesResponseType<string>(StatusCodes.Status200OK, "text/html")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> GetHtml(string customerId, IDocumentStore store, NpgsqlDataSource db, IClock clock, CancellationToken ct)
    {
        var answer = await Get(customerId, store, db, clock, ct);
        return answer is Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<InvoiceView> { Value: { } invoice }
            ? Results.Content(InvoiceHtml.Render(invoice), "text/html; charset=utf-8")
            : answer;
    }
}
