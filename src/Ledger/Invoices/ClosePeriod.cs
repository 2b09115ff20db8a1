using Ledger.Access;
using Ledger.Customers;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Invoices;

public static class ClosePeriod
{
    [WolverinePost("/v1/customers/{customerId}/periods/{period}/close")]
    [Requires(Scopes.BillingWrite)]
    [Tags("Invoices"), EndpointSummary("Close a billing period now and issue its invoice")]
    [EndpointDescription("period: the local date the period starts on (e.g. 2027-01-15) or the instant it starts at. The period must have ended; " +
        "it is invoiced once: closing it again answers the same invoice (200). Issues an immutable invoice with the next gapless number: " +
        "usage lines, fee lines per segment, allowance used, minimum-commitment true-up, adjustments to earlier invoices for late or " +
        "re-rated usage, credits applied. Periods are invoiced in order (409 names the earlier one). Without this call a period closes on " +
        "its own after the grace window (Ledger:Invoices:GraceWindow, default 1 hour).")]
    [ProducesResponseType<InvoiceView>(StatusCodes.Status201Created)]
    [ProducesResponseType<InvoiceView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public static async Task<IResult> Post(string customerId, string period, HttpContext http, IQuerySession session, InvoiceIssuer issuer,
        NodaTime.IClock clock, CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct);
        if (customer is null) return Problems.NotFound($"No customer \"{customerId}\". Create it with PUT /v1/customers/{{id}}.");
        var named = CustomerPeriods.Named(customer, RouteValue.Decode(period));
        if (named is null)
            return Problems.NotFound($"No billing period of customer \"{customerId}\" starts at \"{period}\". Name a period by the local date it " +
                $"starts on, e.g. {CustomerPeriods.Of(customer, clock.GetCurrentInstant()).Name} for the open one.");
        return await issuer.CloseAsync(customerId, named, skipEmpty: false, Caller.Of(http).KeyId, ct) switch
        {
            InvoiceIssuer.Issued { New: true } issued => Results.Json(issued.Invoice, statusCode: StatusCodes.Status201Created),
            InvoiceIssuer.Issued issued => Results.Json(issued.Invoice),
            InvoiceIssuer.Refused refused => refused.Problem,
            InvoiceIssuer.EarlierFirst earlier => earlier.Problem,
            _ => throw new InvalidOperationException("a close on demand always issues an invoice")
        };
    }
}
