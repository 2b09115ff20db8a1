using Ledger.Kernel;
using NodaTime;

namespace Ledger.Budgets;

/// <summary>
/// A customer's spend in a budget period reached a threshold (a fraction of the budget). Recorded once
/// per threshold per period, by the rating projection, in its own stream
/// (<c>budget-alert/{customer}/{period start}/{threshold}</c>), so the log shows when each alert was due.
/// </summary>
/// <param name="AsOf">The ledger position of the rated usage that reached the threshold.</param>
public sealed record BudgetThresholdCrossed(
    string CustomerId,
    Instant PeriodFrom,
    Instant PeriodTo,
    decimal Threshold,
    Money Budget,
    Money Spend,
    long AsOf,
    Instant DetectedAt)
{
    /// <remarks>The threshold is written without trailing zeros: 0.5 and 0.50 are one threshold, alerted once.</remarks>
    public static string StreamKey(string customerId, Instant periodFrom, decimal threshold) =>
        $"budget-alert/{customerId}/{periodFrom}/{(threshold / 1.0000000000000000000000000000m).ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}
