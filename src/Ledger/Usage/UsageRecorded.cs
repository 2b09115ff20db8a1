using NodaTime;

namespace Ledger.Usage;

/// <summary>
/// One usage event as the ledger accepted it: the immutable fact every price, balance, invoice and
/// journal entry is later derived from.
/// </summary>
/// <remarks>
/// Two clocks: <see cref="UsageAt"/> is the CloudEvents <c>time</c> (when the usage happened; it picks
/// the price version and the service period), <see cref="RecordedAt"/> is when the ledger stored it
/// (it orders credit drawdown and decides the accounting period of a late event).
/// <see cref="ContentHash"/> identifies the content under the idempotency key (<see cref="Source"/>,
/// <see cref="EventId"/>): a re-send with the same hash is a duplicate, with another hash a conflict.
/// <see cref="Extensions"/> holds CloudEvents extension attributes as JSON values (a string keeps its quotes).
/// </remarks>
public sealed record UsageRecorded(
    string CustomerId,
    string Source,
    string EventId,
    string Type,
    Instant UsageAt,
    Instant RecordedAt,
    IReadOnlyDictionary<string, decimal> Meters,
    IReadOnlyDictionary<string, string> Dimensions,
    IReadOnlyDictionary<string, string>? Extensions,
    string ContentHash);
