using Ledger.Contracts;
using Ledger.Customers;
using Ledger.Usage;
using NodaTime;

namespace Ledger.Rating;

/// <summary>One pool of included units: per customer, contract segment, meter and model ("" for any model).</summary>
public readonly record struct IncludedKey(string CustomerId, string ContractId, Instant SegmentStart, string Meter, string Model)
{
    public static IncludedKey Of(string customerId, IncludedUnits pool) => new(customerId, pool.ContractId, pool.Span.Start, pool.Meter, pool.Model ?? "");
}

/// <summary>A pool's units and how many the usage of its segment has taken so far.</summary>
public sealed class IncludedUse(string customerId, IncludedUnits pool, decimal used)
{
    public string CustomerId { get; } = customerId;
    public IncludedUnits Pool { get; set; } = pool;
    public decimal Used { get; set; } = used;
}

/// <summary>
/// Included units of contracts (<c>included.quantities</c>), counted in ledger order inside one rating batch: the first
/// units of a meter in a contract segment are free, like a zero-priced first tier (docs/invoicing.md#included-units).
/// </summary>
/// <remarks>
/// Every usage event takes its units whether or not it can be priced yet, so what an event gets free depends only on
/// the events before it, never on prices: usage that is paid again without being rated again (RatingBatch.Redraw)
/// takes the same units as before. A model-specific pool is used before an any-model pool of the same meter. Like the
/// money allowances, the pools from the start of a contract period are counted afresh when usage is rated again.
/// </remarks>
public sealed class IncludedUnitCounters
{
    private readonly Dictionary<IncludedKey, IncludedUse> _used = new();
    private readonly HashSet<IncludedKey> _loaded = [];
    private readonly Dictionary<string, Instant> _resetFrom = new();
    private readonly HashSet<IncludedKey> _changed = [];
    /// <summary>The pools of the last segment looked up per customer.</summary>
    private readonly Dictionary<string, (Contract Contract, int Versions, Instant? EndsAt, IReadOnlyList<IncludedUnits> Pools)> _segments = new();

    /// <summary>The pools the usage of <paramref name="customer"/> at <paramref name="at"/> takes from (empty outside included quantities).</summary>
    public IReadOnlyList<IncludedUnits> PoolsAt(Customer? customer, Instant at)
    {
        if (customer is null || customer.Contracts.Count == 0 || customer.ContractAt(at) is not { } contract) return [];
        if (!contract.Versions.Exists(v => v.Terms.Included is { Amount: null, Quantities.Count: > 0 })) return [];
        if (_segments.TryGetValue(customer.CustomerId, out var cached) && cached.Contract == contract && cached.Versions == contract.Versions.Count
            && cached.EndsAt == contract.EndsAt && cached.Pools.Count > 0 && cached.Pools[0].Span.Contains(at))
            return cached.Pools;
        var pools = ContractAllowances.UnitsAt(contract, at);
        _segments[customer.CustomerId] = (contract, contract.Versions.Count, contract.EndsAt, pools);
        return pools;
    }

    /// <summary>Pools whose stored counts are about to be needed (the batch's new usage), marked as read.</summary>
    public List<IncludedKey> ToLoad(IEnumerable<IncludedKey> keys) => keys.Where(k => _loaded.Add(k)).ToList();

    public void Loaded(IncludedUse use) => _used.TryAdd(IncludedKey.Of(use.CustomerId, use.Pool), use);

    /// <summary>Takes the usage event's free units, in ledger order; returns them per meter (null when none).</summary>
    public IReadOnlyDictionary<string, decimal>? Take(Customer? customer, UsageRecorded usage)
    {
        var pools = PoolsAt(customer, usage.UsageAt);
        if (pools.Count == 0) return null;
        var model = usage.Dimensions.GetValueOrDefault("model");
        Dictionary<string, decimal>? free = null;
        foreach (var (meter, quantity) in usage.Meters)
        {
            var left = quantity;
            foreach (var pool in pools.Where(p => p.Meter == meter && p.Model is not null && p.Model == model).Concat(pools.Where(p => p.Meter == meter && p.Model is null)))
            {
                if (left <= 0) break;
                var use = Use(customer!.CustomerId, pool);
                var taken = Math.Min(left, pool.Quantity - use.Used);
                if (taken <= 0) continue;
                use.Used += taken;
                _changed.Add(IncludedKey.Of(use.CustomerId, pool));
                left -= taken;
            }
            if (left != quantity) (free ??= [])[meter] = quantity - left;
        }
        return free;
    }

    private IncludedUse Use(string customerId, IncludedUnits pool)
    {
        var key = IncludedKey.Of(customerId, pool);
        if (!_used.TryGetValue(key, out var use))
        {
            if (!_loaded.Contains(key) && !(_resetFrom.TryGetValue(customerId, out var from) && from <= key.SegmentStart))
                throw new InvalidOperationException($"The included {pool.Meter} of contract {pool.ContractId} at {pool.Span.Start} for {customerId} was neither read nor counted afresh in this batch");
            _used[key] = use = new IncludedUse(customerId, pool, 0m);
        }
        use.Pool = pool;
        return use;
    }

    /// <summary>Forgets what the customer's pools from <paramref name="from"/> on have given, before their usage is counted again in ledger order.</summary>
    public void Reset(string customerId, Instant from)
    {
        foreach (var key in _used.Keys.Where(k => k.CustomerId == customerId && k.SegmentStart >= from).ToList())
        {
            _used.Remove(key);
            _changed.Remove(key);
        }
        if (!_resetFrom.TryGetValue(customerId, out var earlier) || from < earlier) _resetFrom[customerId] = from;
    }

    /// <summary>The pools changed in this batch, to store.</summary>
    public IReadOnlyList<IncludedUse> Changes() => _changed.Select(k => _used[k]).ToList();
}
