using Ledger.Kernel;
using NodaTime;

namespace Ledger.Credits;

public enum HoldEnd { Released, Expired }

/// <summary>An estimated amount reserved against a customer's credits before an expensive call (stream <c>hold/{id}</c>).</summary>
public sealed record HoldPlaced(string HoldId, string CustomerId, Money Amount, Instant ExpiresAt, Instant PlacedAt, string PlacedBy)
{
    public static string StreamKey(string holdId) => $"hold/{holdId}";
}

/// <summary>The call behind a hold produced this usage event: the hold ends when that usage is rated (and drawn down).</summary>
public sealed record HoldSettled(string HoldId, string CustomerId, string Source, string EventId, Instant SettledAt);

/// <summary>A hold ended without usage: released by the caller, or expired after its timeout.</summary>
public sealed record HoldEnded(string HoldId, string CustomerId, HoldEnd How, Instant EndedAt);
