using Ledger.Kernel;
using NodaTime;

namespace Ledger.Contracts;

public enum FeeTiming { Advance, Arrears }

/// <summary>A fixed fee per billing period, invoiced at the period's start (advance) or end (arrears).</summary>
public sealed record Fee(Money Amount, FeeTiming Timing);

/// <summary>Usage included per period: a money amount of rated usage, or quantities of meters (for one model, or any when null).</summary>
public sealed record Allowance(Money? Amount, IReadOnlyList<IncludedQuantity> Quantities);

public sealed record IncludedQuantity(string Meter, string? Model, decimal Quantity);

/// <summary>How usage beyond the allowance is priced: the price book less a discount, with replacement rates per rule (rule id → rate name → rate).</summary>
public sealed record OverageTerms(decimal DiscountPercent, IReadOnlyDictionary<string, IReadOnlyDictionary<string, decimal>> Rates);

/// <summary>A contract's commercial terms as of one version; null parts are not in the contract.</summary>
public sealed record ContractTerms(Fee? Fee, Allowance? Included, OverageTerms? Overage, Money? MinimumCommitment);

/// <summary>
/// A contract started for a customer: recorded in the customer's stream (<c>customer/{id}</c>), so a
/// customer's contracts are changed one at a time and never overlap. Its periods are computed in
/// <see cref="TimeZone"/>, the customer's zone when it started: a later change of the customer's zone
/// does not move the periods of a running contract.
/// </summary>
public sealed record ContractStarted(string ContractId, string CustomerId, Instant StartsAt, BillingCycle Cycle, string TimeZone, ContractTerms Terms,
    Instant RecordedAt, string RecordedBy);

/// <summary>New terms from <see cref="EffectiveAt"/> on (an upgrade, a renewal, a new allowance or rates): the complete terms, not a diff.</summary>
public sealed record ContractAmended(string ContractId, string CustomerId, int Amendment, Instant EffectiveAt, ContractTerms Terms, string? Reason,
    Instant RecordedAt, string RecordedBy);

/// <summary>The contract ends at <see cref="EndsAt"/>: usage from then on is outside it.</summary>
public sealed record ContractEnded(string ContractId, string CustomerId, Instant EndsAt, string? Reason, Instant RecordedAt, string RecordedBy);
