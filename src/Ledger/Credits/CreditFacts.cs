using Ledger.Kernel;
using NodaTime;

namespace Ledger.Credits;

// Facts the rating projection discovers while drawing credits down, recorded once each in a stream
// whose key names them (see Hosting/RaisedEvents): in a rebuild the same facts arise at the same
// positions and record nothing new.

/// <summary>Usage was not covered by credits: the customer's live credit ran out at <see cref="UsageSequence"/>.</summary>
public sealed record CreditsExhausted(string CustomerId, CreditPolicy Policy, Money Uncovered, long UsageSequence, Instant DetectedAt)
{
    public static string StreamKey(string customerId, long usageSequence) => $"credits-exhausted/{customerId}/{usageSequence}";
}

/// <summary>
/// A top-up paid usage that had accrued as overage in the open period: <see cref="Amount"/> moved from
/// overage onto the grant, over <see cref="UsageEvents"/> usage events from ledger sequence
/// <see cref="FirstUsage"/> to <see cref="LastUsage"/> (each event's drawdowns name the grant).
/// </summary>
public sealed record AccruedOverageCovered(string CustomerId, string GrantId, Money Amount, int UsageEvents, long FirstUsage, long LastUsage,
    long GrantSequence, Instant CoveredAt)
{
    public static string StreamKey(string customerId, string grantId) => $"overage-covered/{customerId}/{grantId}";
}

/// <summary>The credit balance fell to a low-balance threshold (once per threshold per top-up).</summary>
public sealed record LowCreditBalance(string CustomerId, string Alert, Money Threshold, Money Remaining, string LastTopUp, long AsOf, Instant DetectedAt)
{
    public static string StreamKey(string customerId, string lastTopUp, string alert) => $"low-balance/{customerId}/{lastTopUp}/{alert}";
}

/// <summary>A grant expired with an unused remainder (breakage, for revenue recognition).</summary>
public sealed record CreditBreakageRecorded(string CustomerId, string GrantId, Money Amount, Instant ExpiredAt, long AsOf)
{
    public static string StreamKey(string customerId, string grantId) => $"credit-breakage/{customerId}/{grantId}";
}
