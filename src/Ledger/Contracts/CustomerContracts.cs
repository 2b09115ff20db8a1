using Ledger.Contracts;

namespace Ledger.Customers;

/// <summary>A customer's contracts, projected from the contract events in its stream.</summary>
public sealed partial class Customer
{
    public List<Contract> Contracts { get; set; } = [];

    public Contract? ContractOf(string contractId) => Contracts.Find(c => c.ContractId == contractId);

    public void Apply(ContractStarted e) => Contracts.Add(new Contract
    {
        ContractId = e.ContractId, StartsAt = e.StartsAt, Cycle = e.Cycle, TimeZone = e.TimeZone,
        Versions = [new ContractVersion(0, e.StartsAt, e.Terms, null, e.RecordedAt, e.RecordedBy)]
    });

    public void Apply(ContractAmended e) =>
        ContractOf(e.ContractId)?.Versions.Add(new ContractVersion(e.Amendment, e.EffectiveAt, e.Terms, e.Reason, e.RecordedAt, e.RecordedBy));

    public void Apply(ContractEnded e)
    {
        if (ContractOf(e.ContractId) is not { } contract) return;
        contract.EndsAt = e.EndsAt;
        contract.EndReason = e.Reason;
    }
}
