using Ledger.Kernel;
using NodaTime;

namespace Ledger.Credits;

/// <summary>
/// A hold as its stream tells it (aggregated live from <c>hold/{id}</c>: at most three events, so no
/// snapshot table): held → settled (its usage named) or released | expired. Whether settled usage has
/// been rated yet is the rating projection's business (<see cref="HoldState"/>).
/// </summary>
public sealed class Hold
{
    public string Id { get; set; } = "";
    public string HoldId { get; set; } = "";
    public string CustomerId { get; set; } = "";
    public Money Amount { get; set; }
    public Instant ExpiresAt { get; set; }
    public Instant PlacedAt { get; set; }
    public string PlacedBy { get; set; } = "";
    public string Status { get; set; } = "held";
    public string? UsageSource { get; set; }
    public string? UsageId { get; set; }
    public Instant? SettledAt { get; set; }
    public Instant? EndedAt { get; set; }

    public static Hold Create(HoldPlaced e) => new()
    {
        Id = HoldPlaced.StreamKey(e.HoldId), HoldId = e.HoldId, CustomerId = e.CustomerId, Amount = e.Amount,
        ExpiresAt = e.ExpiresAt, PlacedAt = e.PlacedAt, PlacedBy = e.PlacedBy
    };

    public void Apply(HoldSettled e)
    {
        Status = "settled";
        UsageSource = e.Source;
        UsageId = e.EventId;
        SettledAt = e.SettledAt;
    }

    public void Apply(HoldEnded e)
    {
        Status = e.How == HoldEnd.Expired ? "expired" : "released";
        EndedAt = e.EndedAt;
    }
}

public sealed record UsageKeyView(string Source, string Id);

/// <summary>A hold as the API shows it; amount as an exact decimal string.</summary>
public sealed record HoldView(string Id, string Customer, string Amount, string Currency, string Status, Instant PlacedAt, Instant ExpiresAt,
    UsageKeyView? Usage, Instant? SettledAt, Instant? EndedAt)
{
    public static HoldView Of(Hold h) => new(h.HoldId, h.CustomerId, h.Amount.ToExactString(), h.Amount.Currency, h.Status, h.PlacedAt, h.ExpiresAt,
        h.UsageSource is null ? null : new UsageKeyView(h.UsageSource, h.UsageId!), h.SettledAt, h.EndedAt);
}
