using Ledger.Kernel;
using NodaTime;

namespace Ledger.Customers;

/// <summary>How often a budget starts again, in the customer's time zone.</summary>
public enum BudgetPeriod { Month, Day }

/// <summary>A spending budget: alert when spend in the period crosses each threshold (a fraction of the amount).</summary>
public sealed record Budget(Money Amount, BudgetPeriod Period, IReadOnlyList<decimal> AlertThresholds);

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
    string SetBy);

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
    public Instant CreatedAt { get; set; }
    public Instant UpdatedAt { get; set; }

    public static string StreamKey(string customerId) => $"customer/{customerId}";

    public static Customer Create(CustomerTermsSet e) =>
        new Customer { Id = StreamKey(e.CustomerId), CustomerId = e.CustomerId, CreatedAt = e.SetAt }.With(e);

    public void Apply(CustomerTermsSet e) => With(e);

    private Customer With(CustomerTermsSet e)
    {
        Currency = e.Currency;
        TimeZone = e.TimeZone;
        PriceBook = e.PriceBook;
        Budget = e.Budget;
        UpdatedAt = e.SetAt;
        return this;
    }
}
