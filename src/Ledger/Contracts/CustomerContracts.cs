using Ledger.Contracts;
using NodaTime;

namespace Ledger.Customers;

/// <summary>
/// What changes the price book's prices for one usage event: a discount percentage and replacement rates per rule
/// (rule id → rate name → rate), from the customer's overrides (<see cref="OverrideVersion"/>) or from the overage terms
/// of the contract version in force (<see cref="ContractId"/>, <see cref="Amendment"/>).
/// </summary>
public sealed record NegotiatedTerms(decimal DiscountPercent, IReadOnlyDictionary<string, IReadOnlyDictionary<string, decimal>> Rates,
    int? OverrideVersion, string? ContractId, int? Amendment);

/// <summary>A customer's contracts, projected from the contract events in its stream.</summary>
public sealed partial class Customer
{
    public List<Contract> Contracts { get; set; } = [];

    public Contract? ContractOf(string contractId) => Contracts.Find(c => c.ContractId == contractId);

    /// <summary>The contract covering <paramref name="at"/> (contracts never overlap), or null.</summary>
    public Contract? ContractAt(Instant at)
    {
        foreach (var contract in Contracts)
            if (contract.Covers(at)) return contract;
        return null;
    }

    /// <summary>
    /// The terms that adjust price-book prices at <paramref name="at"/>. Inside a contract they are its version's overage terms and
    /// nothing else: the contract is the whole agreement for its time, so the customer's overrides do not apply there, and a
    /// version without overage terms prices at the price book. Outside contracts, the overrides in force (docs/invoicing.md).
    /// </summary>
    public NegotiatedTerms? NegotiatedAt(Instant at)
    {
        if (ContractAt(at) is { } contract)
        {
            var version = contract.VersionAt(at);
            return new NegotiatedTerms(version.Terms.Overage?.DiscountPercent ?? 0m, version.Terms.Overage?.Rates ?? NoRates,
                null, contract.ContractId, version.Amendment);
        }
        return OverridesAt(at) is { } o ? new NegotiatedTerms(o.DiscountPercent, o.Rates, o.Version, null, null) : null;
    }

    private static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, decimal>> NoRates =
        new Dictionary<string, IReadOnlyDictionary<string, decimal>>();

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
