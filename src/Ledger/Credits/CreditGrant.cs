using Ledger.Kernel;
using NodaTime;

namespace Ledger.Credits;

public enum CreditGrantStatus { Active, Voided, Expired }

/// <summary>
/// A grant as recorded: its terms and whether it is still live. Projected inline from its stream
/// (<c>credit-grant/{customer}/{grant}</c>), so a POST or a void reads and answers from it at once.
/// </summary>
/// <remarks>
/// What the grant has paid for is not here: drawdown is the rating projection's (<c>ledger.credit_grants</c>),
/// which follows the event log in its own time. GET .../credits joins the two.
/// </remarks>
public sealed partial class CreditGrant
{
    /// <summary>The stream key: Marten keys an inline snapshot by its stream.</summary>
    public string Id { get; set; } = "";
    public string CustomerId { get; set; } = "";
    /// <summary>The caller's reference (an invoice or order number), unique per customer.</summary>
    public string GrantId { get; set; } = "";
    public Money Amount { get; set; }
    public CreditKind Kind { get; set; }
    /// <summary>Lower drains first (docs/credits.md).</summary>
    public int Priority { get; set; }
    public Instant EffectiveAt { get; set; }
    public Instant? ExpiresAt { get; set; }
    /// <summary>How long before <see cref="ExpiresAt"/> each expiry notice goes out, longest first.</summary>
    public List<Duration> ExpiryNotices { get; set; } = [];
    public CreditGrantStatus Status { get; set; }
    public Instant GrantedAt { get; set; }
    public string GrantedBy { get; set; } = "";
    public Instant? VoidedAt { get; set; }
    public string? VoidReason { get; set; }
    public Instant? ExpiredAt { get; set; }

    public static CreditGrant Create(CreditGranted e) => new()
    {
        Id = CreditGranted.StreamKey(e.CustomerId, e.GrantId), CustomerId = e.CustomerId, GrantId = e.GrantId, Amount = e.Amount,
        Kind = e.Kind, Priority = e.Priority, EffectiveAt = e.EffectiveAt, ExpiresAt = e.ExpiresAt, ExpiryNotices = [.. e.ExpiryNotices],
        Status = CreditGrantStatus.Active, GrantedAt = e.GrantedAt, GrantedBy = e.GrantedBy
    };

    public void Apply(CreditGrantVoided e)
    {
        Status = CreditGrantStatus.Voided;
        VoidedAt = e.VoidedAt;
        VoidReason = e.Reason;
    }

    public void Apply(CreditGrantExpired e)
    {
        Status = CreditGrantStatus.Expired;
        ExpiredAt = e.ExpiredAt;
    }
}
