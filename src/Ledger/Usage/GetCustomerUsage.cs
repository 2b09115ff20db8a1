using Ledger.Access;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Usage;

/// <summary><c>GET /v1/customers/{customerId}/usage-totals</c>: raw quantities received for a customer.</summary>
public static class GetCustomerUsage
{
    [WolverineGet("/v1/customers/{customerId}/usage-totals")]
    [Requires(Scopes.AuditRead, Scopes.FinanceRead, CustomerRoute = "customerId")]
    [Tags("Usage"), EndpointSummary("Raw usage quantities received for a customer")]
    [EndpointDescription("Totals per meter, event count and the latest usage and recorded times; an async projection, normally under a second behind ingestion.")]
    [ProducesResponseType<CustomerUsage>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(string customerId, IQuerySession session, CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        var usage = await session.LoadAsync<CustomerUsage>(customerId, ct);
        return usage is null
            ? Problems.NotFound($"No usage has been projected for customer \"{customerId}\" yet.")
            : Results.Json(usage);
    }
}
