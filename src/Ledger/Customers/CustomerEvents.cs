using Ledger.Credits;
using Ledger.Kernel;
using NodaTime;

namespace Ledger.Customers;

/// <summary>How often a budget starts again, in the customer's time zone.</summary>
public enum BudgetPeriod { Month, Day }

/// <summary>A spending budget: alert when spend in the period crosses each threshold (a fraction of the amount).</summary>
public sealed record Budget(Money Amount, BudgetPeriod Period, IReadOnlyList<decimal> AlertThresholds)
{
    /// <summary>Same amount, period and thresholds (a record compares its list by reference).</summary>
    public static bool Same(Budget? a, Budget? b) =>
        a is null ? b is null : b is not null && a.Amount == b.Amount && a.Period == b.Period && a.AlertThresholds.SequenceEqual(b.AlertThresholds);
}

/// <summary>
/// A customer's billing terms were set (first time: the customer is created). Each PUT that changes
/// something is one such event, so the terms in force at any instant can be replayed.
/// </summary>
public sealed record CustomerTermsSet(
    string CustomerId,
    string Currency,
    string TimeZone,
    string? PriceBook,
    Budget? Budget,
    Instant SetAt,
    string SetBy,
    CreditTerms? Credits = null);

/// <summary>
/// Negotiated terms from <see cref="EffectiveFrom"/> (business time) until the next version: a
/// percentage discount on every rated amount, and replacement rates for chosen rules (rule id →
/// rate name → rate). A version with neither ends earlier overrides.
/// </summary>
public sealed record CustomerOverridesSet(
    string CustomerId,
    int Version,
    Instant EffectiveFrom,
    decimal DiscountPercent,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, decimal>> Rates,
    Instant SetAt,
    string SetBy);

/// <summary>The budget a customer had from <see cref="From"/> (recorded time) on; null: none.</summary>
public sealed record BudgetAssignment(Instant From, Budget? Budget);

/// <summary>The price book a customer was assigned from <see cref="From"/> (business time) on.</summary>
public sealed record PriceBookAssignment(Instant From, string? PriceBook);

/// <summary>A customer's current terms, projected inline from its stream (<c>customer/{id}</c>).</summary>
public sealed partial class Customer
{
    /// <summary>The stream key, <c>customer/{id}</c>: Marten keys an inline snapshot by its stream.</summary>
    public string Id { get; set; } = "";
    public string CustomerId { get; set; } = "";
    public string Currency { get; set; } = "";
    public string TimeZone { get; set; } = "";
    public string? PriceBook { get; set; }
    public Budget? Budget { get; set; }
    /// <summary>Credit policy and low-balance alerts (events from before credits existed: the default).</summary>
    public CreditTerms Credits { get; set; } = CreditTerms.Default;
    public Instant CreatedAt { get; set; }
    /// <summary>Every price book assignment, oldest first: rating uses the one in force at an event's time.</summary>
    public List<PriceBookAssignment> PriceBooks { get; set; } = [];
    public List<CustomerOverridesSet> Overrides { get; set; } = [];
    /// <summary>Every budget change, oldest first: usage is checked against the budget in force when it was recorded.</summary>
    public List<BudgetAssignment> Budgets { get; set; } = [];
    public Instant UpdatedAt { get; set; }

    public static string StreamKey(string customerId) => $"customer/{customerId}";

    public static Customer Create(CustomerTermsSet e) =>
        new Customer { Id = StreamKey(e.CustomerId), CustomerId = e.CustomerId, CreatedAt = e.SetAt }.With(e);

    public void Apply(CustomerTermsSet e) => With(e);

    public void Apply(CustomerOverridesSet e) => Overrides.Add(e);

    /// <summary>
    /// The price book in force at <paramref name="at"/>. A change applies from the moment it was set;
    /// usage from before the first price book was assigned (even before the customer existed) uses the first.
    /// </summary>
    public string? PriceBookAt(Instant at) =>
        (PriceBooks.LastOrDefault(p => p.From <= at && p.PriceBook is not null) ?? FirstPriceBook)?.PriceBook;

    /// <summary>The first assignment of a price book: it prices all earlier usage too.</summary>
    public PriceBookAssignment? FirstPriceBook => PriceBooks.FirstOrDefault(p => p.PriceBook is not null);

    /// <summary>
    /// The budget in force when the ledger recorded usage at <paramref name="recordedAt"/>: an alert is
    /// due when usage recorded under a budget reaches it, so a budget changed later never raises alerts
    /// about usage recorded before (live or in a rebuild alike). None before the customer existed.
    /// </summary>
    public Budget? BudgetAt(Instant recordedAt) => Budgets.LastOrDefault(b => b.From <= recordedAt)?.Budget;

    /// <summary>The overrides in force at <paramref name="at"/>: the latest effective_from not after it (a later version wins a tie).</summary>
    public CustomerOverridesSet? OverridesAt(Instant at) => InForce.At(Overrides, at, o => o.EffectiveFrom, o => o.Version);

    private Customer With(CustomerTermsSet e)
    {
        if (PriceBooks.Count == 0 || PriceBooks[^1].PriceBook != e.PriceBook)
            PriceBooks.Add(new PriceBookAssignment(e.SetAt, e.PriceBook));
        if (Budgets.Count == 0 || !Budget.Same(Budgets[^1].Budget, e.Budget))
            Budgets.Add(new BudgetAssignment(e.SetAt, e.Budget));
        Currency = e.Currency;
        TimeZone = e.TimeZone;
        PriceBook = e.PriceBook;
        Budget = e.Budget;
        Credits = e.Credits ?? CreditTerms.Default;
        UpdatedAt = e.SetAt;
        return this;
    }
}
