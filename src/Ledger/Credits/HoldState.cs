using NodaTime;

namespace Ledger.Credits;

/// <summary>A hold as the rating projection keeps it (<c>ledger.credit_holds</c>).</summary>
public sealed class HoldState
{
    public required string HoldId { get; init; }
    public required string CustomerId { get; init; }
    public required decimal Amount { get; init; }
    public required Instant ExpiresAt { get; init; }
    public required long PlacedSeq { get; init; }
    /// <summary>held → settling (its usage named, not rated yet) → settled; or held/settling → released | expired.</summary>
    public string Status { get; set; } = "held";
    public string? UsageSource { get; set; }
    public string? UsageId { get; set; }
    public long? EndedSeq { get; set; }
    public bool Changed { get; set; }

    public bool Open => Status is "held" or "settling";
}
