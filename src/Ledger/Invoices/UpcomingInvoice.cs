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
        "prorated), else the calendar month. Lines per (model, mode, meter) with quantity, unit price and amount, then the prepaid credits applied; each line " +
        "rounded once to the currency's minor unit (half away from zero), subtotal, credits_applied and total the sums of rounded lines; " +
        "unrounded_total the exact figure. Matches GET …/usage for the same period at the same ledger position (as_of).")]
    [ProducesResponseType<InvoiceView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(string customerId, IQuerySession session, NpgsqlDataSource db, IClock clock, CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct);
        if (customer is null) return Problems.NotFound($"No customer \"{customerId}\". Create it with PUT /v1/customers/{{id}}.");
        var now = clock.GetCurrentInstant();
        // Under a contract, its billing period (a stub first, cut at its end) with its fee lines; otherwise the calendar month.
        var contract = customer.Contracts.FirstOrDefault(c => c.Covers(now));
        var period = BillingPeriods.MonthOf(now, BillingPeriods.Zone(customer.TimeZone));
        List<InvoiceLineView> fees = [];
        var limitations = new List<string>();
        if (contract is not null)
        {
            var full = contract.Cycle.FullPeriodOf(contract.StartsAt, now, BillingPeriods.Zone(contract.TimeZone));
            period = contract.PeriodOf(now);
            if (contract.EndsAt is { } end && end < period.End) period = new Interval(period.Start, end);
            fees = ContractFees.Lines(contract, period, full, customer.Currency);
            if (contract.Segments(period).Any(s => s.Version.Terms is { Included: not null } or { Overage: not null } or { MinimumCommitment: not null }))
                limitations.Add("The contract's allowance and minimum commitment are not on this draft yet: usage is at the contract's rates, before its allowance.");
        }
        var figures = await DraftQuery.RunAsync(db, customerId, period, ct);
        return Results.Json(InvoiceDraft.Build(customerId, customer.Currency, period, figures, fees, limitations));
    }

    [WolverineGet("/v1/customers/{customerId}/invoices/upcoming.html")]
    [Requires(Scopes.BillingWrite, Scopes.FinanceRead, Scopes.AuditRead, CustomerRoute = "customerId")]
    [Tags("Invoices"), EndpointSummary("The draft invoice of the open billing period as a printable HTML page")]
    [ProducesResponseType<string>(StatusCodes.Status200OK, "text/html")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> GetHtml(string customerId, IQuerySession session, NpgsqlDataSource db, IClock clock, CancellationToken ct)
    {
        var answer = await Get(customerId, session, db, clock, ct);
        return answer is Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<InvoiceView> { Value: { } invoice }
            ? Results.Content(InvoiceHtml.Render(invoice), "text/html; charset=utf-8")
            : answer;
    }
}
