using Ledger.Hosting;
using Marten;
using Wolverine.Http;

namespace Ledger.Usage;

/// <summary><c>GET /v1/customers/{customerId}/usage-totals</c>: raw quantities received for a customer.</summary>
public static class GetCustomerUsage
{
    [WolverineGet("/v1/customers/{customerId}/usage-totals")]
    public static async Task<IResult> Get(string customerId, IQuerySession session, CancellationToken ct)
    {
        var usage = await session.LoadAsync<CustomerUsage>(customerId, ct);
        return usage is null
            ? Problems.NotFound($"No usage has been projected for customer \"{customerId}\" yet.")
            : Results.Json(usage);
    }
}
