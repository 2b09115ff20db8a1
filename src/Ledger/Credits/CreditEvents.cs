using Ledger.Kernel;
using NodaTime;

namespace Ledger.Credits;

public enum CreditKind { Purchased, Promotional }

/// <summary>What happens to usage the credits do not cover: billed as overage, or spend checks say no.</summary>
public enum CreditPolicy { Overage, Block }

/// <summary>Alert once when the credit balance falls to <see cref="Amount"/>, or to a fraction of the last top-up.</summary>
public sealed record LowBalanceAlert(decimal? Amount, decimal? FractionOfLastTopUp)
{
    public decimal ThresholdFor(decimal lastTopUp) => Amount ?? FractionOfLastTopUp!.Value * lastTopUp;

    public string Name => Amount is { } a ? $"amount-{Normal(a)}" : $"fraction-{Normal(FractionOfLastTopUp!.Value)}";

    private static string Normal(decimal d) => (d / 1.0000000000000000000000000000m).ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A customer's credit terms (part of its terms; none recorded: overage, no low-balance alerts).</summary>
public sealed record CreditTerms(CreditPolicy Policy, IReadOnlyList<LowBalanceAlert> LowBalanceAlerts)
{
    public static readonly CreditTerms Default = new(CreditPolicy.Overage, []);

    public static bool Same(CreditTerms? a, CreditTerms? b) =>
        (a ?? Default).Policy == (b ?? Default).Policy && (a ?? Default).LowBalanceAlerts.SequenceEqual((b ?? Default).LowBalanceAlerts);
}

/// <summary>
/// Prepaid credit was bought or granted. Its stream, <c>credit-grant/{customer}/{reference}</c>, is keyed
/// by the caller's reference, so the same reference twice is one grant. The grant pays usage recorded
/// from <see cref="EffectiveAt"/> until <see cref="ExpiresAt"/>; notices go out
/// <see cref="ExpiryNotices"/> before it expires.
/// </summary>
public sealed record CreditGranted(
    string CustomerId,
    string GrantId,
    Money Amount,
    CreditKind Kind,
    int Priority,
    Instant EffectiveAt,
    Instant? ExpiresAt,
    IReadOnlyList<Duration> ExpiryNotices,
    Instant GrantedAt,
    string GrantedBy)
{
    public static string StreamKey(string customerId, string grantId) => $"credit-grant/{customerId}/{grantId}";
}

/// <summary>The unused remainder of a grant is withdrawn (a refund or a mistaken grant); what it already paid stays paid.</summary>
public sealed record CreditGrantVoided(string CustomerId, string GrantId, string? Reason, Instant VoidedAt, string VoidedBy);

/// <summary>A grant reached its <c>expires_at</c> (appended by the scheduled expiry); the rating projection records its unused remainder as breakage.</summary>
public sealed record CreditGrantExpired(string CustomerId, string GrantId, Instant ExpiredAt);

/// <summary>An expiry notice went out (its stream, one per grant and offset, makes it once).</summary>
public sealed record CreditExpiryNoticeSent(string CustomerId, string GrantId, Duration Before, Instant ExpiresAt, Instant SentAt)
{
    public static string StreamKey(string customerId, string grantId, Duration before) =>
        $"credit-expiry-notice/{customerId}/{grantId}/{(long)before.TotalSeconds}s";
}
