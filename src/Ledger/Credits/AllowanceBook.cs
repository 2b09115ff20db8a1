using Ledger.Contracts;
using Ledger.Customers;
using NodaTime;

namespace Ledger.Credits;

/// <summary>A segment's allowance and what its usage has drawn from it (drawn ≤ allowance).</summary>
public sealed class AllowanceDraw(string customerId, AllowanceSegment segment, decimal drawn)
{
    public string CustomerId { get; } = customerId;
    public AllowanceSegment Segment { get; set; } = segment;
    public decimal Drawn { get; set; } = drawn;
    public decimal Remaining => Segment.Amount.Amount - Drawn;
}

public readonly record struct AllowanceKey(string CustomerId, string ContractId, Instant SegmentStart);

/// <summary>
/// The money allowances of contract segments inside one rating batch: usage draws its segment's allowance
/// before any credit, in ledger order (docs/invoicing.md#allowance-credits-and-overage).
/// </summary>
/// <remarks>
/// A segment's draws are counted in one pass in ledger order and never adjusted one usage event at a time: when
/// usage is rated again, the segments from the start of the contract period it starts in are counted afresh
/// (<see cref="Reset"/>) and every usage event in them is paid again in ledger order. So what an allowance pays is
/// always what drawing it in ledger order under the final prices and terms gives, live and in a rebuild.
/// </remarks>
public sealed class AllowanceBook
{
    private readonly Dictionary<AllowanceKey, AllowanceDraw> _draws = new();
    /// <summary>Segments read from the stored draws (found or not): their committed draws are known.</summary>
    private readonly HashSet<AllowanceKey> _loaded = [];
    /// <summary>Per customer, the earliest instant from which its segments are counted afresh in this batch.</summary>
    private readonly Dictionary<string, Instant> _resetFrom = new();
    private readonly HashSet<AllowanceKey> _changed = [];
    /// <summary>The allowances of the last period looked up per customer: usage comes in runs of one customer and period.</summary>
    private readonly Dictionary<string, (Contract Contract, int Versions, Instant? EndsAt, IReadOnlyList<AllowanceSegment> Segments)> _periods = new();

    /// <summary>The money allowance usage of <paramref name="customer"/> at <paramref name="at"/> draws, or null.</summary>
    public AllowanceSegment? SegmentAt(Customer? customer, Instant at)
    {
        if (customer is null || customer.Contracts.Count == 0 || customer.ContractAt(at) is not { } contract) return null;
        if (!contract.Versions.Exists(v => v.Terms.Included?.Amount is not null)) return null;
        if (!_periods.TryGetValue(customer.CustomerId, out var cached) || cached.Contract != contract || cached.Versions != contract.Versions.Count
            || cached.EndsAt != contract.EndsAt || !Contains(cached.Segments, at))
        {
            var segments = ContractAllowances.Of(contract, at);
            if (segments.Count == 0) return null;
            _periods[customer.CustomerId] = cached = (contract, contract.Versions.Count, contract.EndsAt, segments);
        }
        foreach (var segment in cached.Segments)
            if (segment.Span.Contains(at)) return segment;
        return null;
    }

    private static bool Contains(IReadOnlyList<AllowanceSegment> segments, Instant at) => at >= segments[0].Span.Start && at < segments[^1].Span.End;

    /// <summary>Segments whose committed draws are about to be needed (the batch's new usage), marked as read.</summary>
    public IEnumerable<AllowanceKey> ToLoad(IEnumerable<AllowanceKey> keys) => keys.Where(k => _loaded.Add(k)).ToList();

    public void Loaded(AllowanceDraw draw) =>
        _draws.TryAdd(new AllowanceKey(draw.CustomerId, draw.Segment.ContractId, draw.Segment.Span.Start), draw);

    /// <summary>Draws up to <paramref name="amount"/> from the segment's allowance, as far as it reaches; returns what it paid.</summary>
    public decimal Draw(string customerId, AllowanceSegment segment, decimal amount)
    {
        var key = new AllowanceKey(customerId, segment.ContractId, segment.Span.Start);
        if (!_draws.TryGetValue(key, out var draw))
        {
            if (!_loaded.Contains(key) && !(_resetFrom.TryGetValue(customerId, out var from) && from <= key.SegmentStart))
                throw new InvalidOperationException($"The allowance {segment.GrantId} of {customerId} was neither read nor counted afresh in this batch");
            _draws[key] = draw = new AllowanceDraw(customerId, segment, 0m);
        }
        draw.Segment = segment;
        var paid = Math.Max(0m, Math.Min(amount, draw.Remaining));
        if (paid == 0) return 0m;
        draw.Drawn += paid;
        _changed.Add(key);
        return paid;
    }

    /// <summary>Forgets what the customer's segments from <paramref name="from"/> on have drawn, before their usage is paid again in ledger order.</summary>
    public void Reset(string customerId, Instant from)
    {
        foreach (var key in _draws.Keys.Where(k => k.CustomerId == customerId && k.SegmentStart >= from).ToList())
        {
            _draws.Remove(key);
            _changed.Remove(key);
        }
        if (!_resetFrom.TryGetValue(customerId, out var earlier) || from < earlier) _resetFrom[customerId] = from;
    }

    /// <summary>The draws changed in this batch, to store.</summary>
    public IReadOnlyList<AllowanceDraw> Changes() => _changed.Select(k => _draws[k]).ToList();

    /// <summary>The customers whose allowance draws changed or were counted afresh in this batch: their spend-check figures moved.</summary>
    public IEnumerable<string> ChangedCustomers() => _changed.Select(k => k.CustomerId).Concat(_resetFrom.Keys).Distinct();
}
