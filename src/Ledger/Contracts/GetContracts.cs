using Ledger.Access;
using Ledger.Customers;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Wolverine.Http;

namespace Ledger.Contracts;

public sealed record ContractsView(string Customer, IReadOnlyList<ContractView> Contracts);

public static class GetContracts
{
    [WolverineGet("/v1/contracts/{contractId}")]
    [Requires(Scopes.BillingWrite, Scopes.FinanceRead, Scopes.AuditRead, CustomerOwned = true)]
    [Tags("Contracts"), EndpointSummary("A contract: its period, the terms in force now, every version, the current billing period")]
    [ProducesResponseType<ContractView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(string contractId, HttpContext http, IQuerySession session, IClock clock, CancellationToken ct)
    {
        contractId = RouteValue.Decode(contractId);
        var reference = await session.LoadAsync<ContractRef>(contractId, ct);
        // Another customer's contract is answered as missing to a customer's key: its existence is not theirs to know.
        var customer = reference is null || !Caller.Of(http).MayTouch(reference.CustomerId) ? null
            : await session.LoadAsync<Customer>(Customer.StreamKey(reference.CustomerId), ct);
        return customer?.ContractOf(contractId) is { } contract
            ? Results.Json(ContractView.Of(customer, contract, clock.GetCurrentInstant()))
            : Problems.NotFound($"No contract \"{contractId}\".");
    }

    [WolverineGet("/v1/customers/{customerId}/contracts")]
    [Requires(Scopes.BillingWrite, Scopes.FinanceRead, Scopes.AuditRead, CustomerRoute = "customerId")]
    [Tags("Contracts"), EndpointSummary("A customer's contracts, oldest first")]
    [ProducesResponseType<ContractsView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> List(string customerId, IQuerySession session, IClock clock, CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct);
        if (customer is null) return Problems.NotFound($"No customer \"{customerId}\". Create it with PUT /v1/customers/{{id}}.");
        var now = clock.GetCurrentInstant();
        return Results.Json(new ContractsView(customerId, customer.Contracts.Select(c => ContractView.Of(customer, c, now)).ToList()));
    }
}
