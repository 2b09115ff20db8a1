using NodaTime;

namespace Ledger.Pricing;

/// <summary>The running total of one tiered meter: per customer, billing period, price book and rule.</summary>
public readonly record struct TierKey(string CustomerId, Instant PeriodStart, string PriceBook, string RuleId, string Meter);

/// <summary>
/// Running totals of tiered meters in ledger order. The rating projection loads the totals of the
/// periods a batch touches, counts on, and stores the changed ones with the batch.
/// </summary>
public sealed class TierCounters
{
    private readonly Dictionary<TierKey, decimal> _totals = new();
    private readonly HashSet<TierKey> _changed = [];

    /// <summary>Units counted before this event, then counts the event's <paramref name="quantity"/>.</summary>
    public decimal Take(TierKey key, decimal quantity)
    {
        var before = _totals.GetValueOrDefault(key);
        _totals[key] = before + quantity;
        _changed.Add(key);
        return before;
    }

    public void Load(TierKey key, decimal total) => _totals[key] = total;

    /// <summary>Forgets a customer's totals from <paramref name="from"/> on, before those periods are rated again from their start.</summary>
    public void Reset(string customerId, Instant from)
    {
        foreach (var key in _totals.Keys.Where(k => k.CustomerId == customerId && k.PeriodStart >= from).ToList())
        {
            _totals.Remove(key);
            _changed.Remove(key);
        }
    }

    /// <summary>The totals changed since the last call, to store.</summary>
    public IReadOnlyList<(TierKey Key, decimal Total)> TakeChanges()
    {
        var changes = _changed.Select(k => (k, _totals[k])).ToList();
        _changed.Clear();
        return changes;
    }
}
