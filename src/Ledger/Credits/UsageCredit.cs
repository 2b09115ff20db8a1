using NodaTime;

namespace Ledger.Credits;

/// <summary>One grant paying (negative: giving back) part of a usage event's amount; <see cref="At"/> is the ledger sequence of the event that caused it.</summary>
public sealed record Drawdown(string Grant, decimal Amount, long At);

/// <summary>
/// How one rated usage event was paid: by the <see cref="Drawdowns"/> of its contract segment's allowance and of
/// credit grants, and the rest <see cref="Uncovered"/> (overage, or a negative balance under the block policy). Always
/// <see cref="Amount"/> = Σ drawdowns + uncovered.
/// </summary>
public sealed class UsageCredit(long sequence, string customerId, Instant usageAt, string? currency, decimal amount)
{
    public long Sequence { get; } = sequence;
    public string CustomerId { get; } = customerId;
    public Instant UsageAt { get; } = usageAt;
    public string? Currency { get; } = currency;
    public decimal Amount { get; } = amount;
    public decimal Uncovered { get; set; }
    public List<Drawdown> Drawdowns { get; set; } = [];

    /// <summary>What contract allowances pay of it (their net drawdowns); the rest is the credits' to pay.</summary>
    public decimal Allowance
    {
        get
        {
            var sum = 0m;
            foreach (var d in Drawdowns)
                if (Contracts.ContractAllowances.IsAllowance(d.Grant)) sum += d.Amount;
            return sum;
        }
    }

    public UsageCredit Copy() => new(Sequence, CustomerId, UsageAt, Currency, Amount) { Uncovered = Uncovered, Drawdowns = [.. Drawdowns] };

    public string? DrawdownsJson() => Drawdowns.Count == 0 ? null : System.Text.Json.JsonSerializer.Serialize(Drawdowns, Rating.RatingJson.Options);

    public static List<Drawdown> ReadDrawdowns(string? json) =>
        json is null ? [] : System.Text.Json.JsonSerializer.Deserialize<List<Drawdown>>(json, Rating.RatingJson.Options)!;
}
