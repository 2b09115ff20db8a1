using NodaTime;
using NodaTime.Text;

namespace Ledger.Credits;

/// <summary>A grant as POST and void answer it: its terms and status; money as a decimal string, notice offsets as ISO-8601 durations.</summary>
public sealed record CreditGrantView(string Id, string Customer, string Amount, string Currency, string Kind, int Priority,
    Instant EffectiveAt, Instant? ExpiresAt, IReadOnlyList<string> ExpiryNotices, string Status, Instant GrantedAt, string GrantedBy,
    Instant? VoidedAt, string? VoidReason, Instant? ExpiredAt)
{
    public static CreditGrantView Of(CreditGrant g) => new(g.GrantId, g.CustomerId, g.Amount.ToExactString(), g.Amount.Currency,
        Lower(g.Kind), g.Priority, g.EffectiveAt, g.ExpiresAt, g.ExpiryNotices.Select(Iso).ToList(), Lower(g.Status), g.GrantedAt, g.GrantedBy,
        g.VoidedAt, g.VoidReason, g.ExpiredAt);

    /// <summary>An offset as the request gives it: 30 days → "P30D", 90 minutes → "PT1H30M".</summary>
    public static string Iso(Duration d) => PeriodPattern.NormalizingIso.Format(Period.FromNanoseconds(d.ToInt64Nanoseconds()).Normalize());

    public static string Lower<T>(T value) where T : Enum => value.ToString().ToLowerInvariant();
}
