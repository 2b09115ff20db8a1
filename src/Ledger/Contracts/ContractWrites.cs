using Ledger.Customers;
using Ledger.Hosting;
using Marten;
using JasperFx.Events;

namespace Ledger.Contracts;

/// <summary>Finding a contract for a change: its customer's stream, fetched for writing, so changes to one customer's contracts are serial.</summary>
public static class ContractWrites
{
    public sealed record Target(IEventStream<Customer> Stream, Customer Customer, Contract Contract);

    public static async Task<(Target?, IResult?)> FetchAsync(IDocumentSession session, string contractId, CancellationToken ct)
    {
        var reference = await session.LoadAsync<ContractRef>(contractId, ct);
        if (reference is null) return (null, Problems.NotFound($"No contract \"{contractId}\". Start one with POST /v1/customers/{{id}}/contracts."));
        var stream = await session.Events.FetchForWriting<Customer>(Customer.StreamKey(reference.CustomerId), ct);
        var contract = stream.Aggregate?.ContractOf(contractId);
        return contract is null
            ? (null, Problems.NotFound($"No contract \"{contractId}\"."))
            : (new Target(stream, stream.Aggregate!, contract), null);
    }

    /// <summary>Saves, then answers the contract as the log now has it.</summary>
    public static async Task<IResult> SaveAsync(IDocumentSession session, Target target, NodaTime.Instant now, int status, CancellationToken ct)
    {
        if (await StreamWrites.SaveOrConflictAsync(session, "Changed concurrently",
                $"Contract \"{target.Contract.ContractId}\" or its customer was changed at the same moment, so this change was not recorded. Send it again.", ct) is { } conflict)
            return conflict;
        var saved = await session.Events.AggregateStreamAsync<Customer>(target.Stream.Key!, token: ct);
        return Results.Json(ContractView.Of(saved!, saved!.ContractOf(target.Contract.ContractId)!, now), statusCode: status);
    }
}
