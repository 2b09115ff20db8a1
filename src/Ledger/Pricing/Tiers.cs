namespace Ledger.Pricing;

/// <summary>How a tiered rate prices the period's cumulative quantity of its meter.</summary>
public enum TierMode
{
    /// <summary>Each unit at the rate of the tier it falls in (first 1B tokens at one rate, the rest at another).</summary>
    Graduated,
    /// <summary>Every unit of the period at the rate of the tier the period's total has reached.</summary>
    Volume
}

/// <summary>One tier: units up to <see cref="UpTo"/> (inclusive, cumulative over the period; null = no limit) at <see cref="Rate"/> per <c>per</c> units.</summary>
public sealed record TierStep(decimal? UpTo, decimal Rate);

/// <summary>
/// A tiered rate. Its price depends on where an event falls in the billing period's running total of
/// the meter (in ledger order), so an event is charged cost(total after) − cost(total before): the
/// events of a period always add up exactly to the tiered price of the period's total (docs/pricing.md).
/// </summary>
public sealed record Tiers(TierMode Mode, IReadOnlyList<TierStep> Steps)
{
    /// <summary>The price of a cumulative quantity, in rate units (divide by <c>per</c>).</summary>
    public decimal Cost(decimal quantity)
    {
        if (quantity <= 0) return 0m;
        if (Mode == TierMode.Volume)
            return quantity * Steps.First(s => s.UpTo is null || quantity <= s.UpTo).Rate;
        var cost = 0m;
        var lower = 0m;
        foreach (var step in Steps)
        {
            var upper = step.UpTo ?? decimal.MaxValue;
            if (quantity <= lower) break;
            cost += (Math.Min(quantity, upper) - lower) * step.Rate;
            lower = upper;
        }
        return cost;
    }

    /// <summary>What <paramref name="quantity"/> more units cost after <paramref name="before"/> units this period.</summary>
    public decimal Charge(decimal before, decimal quantity) => Cost(before + quantity) - Cost(before);
}
