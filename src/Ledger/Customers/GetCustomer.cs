using Ledger.Access;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Customers;

public static class GetCustomer
{
    [WolverineGet("/v1/customers/{customerId}")]
    [Requires(Scopes.AuditRead, Scopes.FinanceRead, Scopes.BillingWrite, CustomerRoute = "customerId")]
    [Tags("Customers"), EndpointSummary("A customer's billing terms")]
    [ProducesResponseType<CustomerView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(string customerId, IQuerySession session, CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct);
        return customer is null
            ? Problems.NotFound($"No customer \"{customerId}\". Create it with PUT /v1/customers/{{id}}.")
            : Results.Json(CustomerView.Of(customer));
    }
}
