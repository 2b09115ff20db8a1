using System.Collections.Concurrent;
using System.Collections.Immutable;
using Ledger.Customers;
using Ledger.Pricing;
using NodaTime;

namespace Ledger.Credits;

/// <summary>
/// A customer's spend-check figures: what can be spent now (<see cref="Available"/>, which counts <see cref="Allowance"/>, the
/// remaining contract allowance usage recorded now would draw first), and as of which ledger position.
/// </summary>
public readonly record struct SpendFigures(Customer Customer, decimal Available, decimal Allowance, long AsOf)
{
    public CreditPolicy Policy => Customer.Credits.Policy;
}

/// <summary>
/// The in-memory spend-check view: per customer, the available balance of GET balance (what is left of the contract
/// allowance usage recorded now draws, plus credits in force now, minus the period's uncovered usage under <c>block</c>,
/// minus held) as of the rating projection's
/// position, so a check is a dictionary look-up and some additions, never a database round trip.
/// <see cref="SpendViewFeed"/> keeps it current from the projection (docs/credits.md, "Spend checks and holds").
/// </summary>
/// <remarks>
/// The projection lags the event log by tens of milliseconds, so holds placed or ended by this node
/// count here from the moment they are appended until the projected figures include them (their
/// event's sequence is at or below the figures' position). Placing holds is serialized per customer
/// (<see cref="LockAsync"/>), so two concurrent holds on this node cannot both take the last dollar.
/// Another node learns of them through the projection only.
/// </remarks>
public sealed class SpendView
{
    /// <summary>A grant in force at some instants: what it can still pay.</summary>
    public sealed record Grant(decimal Remaining, Instant EffectiveAt, Instant? ExpiresAt);

    /// <summary>A contract allowance segment: what its usage (usage that happens in <see cref="Span"/>) can still draw.</summary>
    public sealed record Allowance(Interval Span, decimal Remaining);

    /// <summary>
    /// The projection's figures for one customer at position <see cref="AsOf"/>; uncovered is that of <see cref="Period"/>;
    /// <see cref="Allowances"/> are the segments from the current one to the end of the period that follows (<see cref="Contracts.AllowanceUse.Ahead"/>).
    /// </summary>
    public sealed record Projected(IReadOnlyList<Grant> Grants, IReadOnlyList<Allowance> Allowances, decimal Held, decimal Uncovered, Interval Period, long AsOf)
    {
        public static Projected None(Interval period) => new([], [], 0m, 0m, period, 0);
    }

    /// <summary>A hold this node placed (+amount) or ended (−amount), counted until the projection passes <see cref="Sequence"/>.</summary>
    private sealed record LocalHold(string HoldId, decimal Amount, long Sequence);

    private sealed class Account(Customer customer, Projected projected)
    {
        public volatile Customer Customer = customer;
        public volatile Projected Projected = projected;
        public ImmutableList<LocalHold> Local = [];
        public readonly SemaphoreSlim Gate = new(1, 1);
    }

    private readonly ConcurrentDictionary<string, Account> _accounts = new();
    private readonly ConcurrentDictionary<string, PriceBook> _books = new();
    private long _position;

    /// <summary>The position up to which every customer's projected figures are current.</summary>
    public long Position => Volatile.Read(ref _position);

    public Rater Rater { get; } = new();

    public bool Knows(string customerId) => _accounts.ContainsKey(customerId);

    public Customer? CustomerOf(string customerId) => _accounts.TryGetValue(customerId, out var a) ? a.Customer : null;

    public PriceBook? Book(string priceBookId) => _books.GetValueOrDefault(priceBookId);

    public int Customers => _accounts.Count;

    /// <summary>The customer's figures now; null when the view does not know the customer.</summary>
    public SpendFigures? Check(string customerId, Instant now) =>
        _accounts.TryGetValue(customerId, out var account) ? Figures(account, now) : null;

    private SpendFigures Figures(Account account, Instant now)
    {
        // Local holds first, then the projected figures: a hold the feed prunes from the local list in between is
        // in the figures read after it (the feed stores new figures before pruning), so no hold is missed; one
        // counted in both (pinned late) only makes the answer more careful. Local holds are compared with the
        // position of these figures, not the view's: figures of another, newer position may not include them.
        var local = 0m;
        var holds = Volatile.Read(ref account.Local);
        var customer = account.Customer;
        var projected = account.Projected;
        foreach (var hold in holds)
            if (hold.Sequence > projected.AsOf) local += hold.Amount;
        var asOf = Math.Max(projected.AsOf, Position);
        var remaining = 0m;
        foreach (var g in projected.Grants)
            if (g.EffectiveAt <= now && (g.ExpiresAt is not { } end || now < end)) remaining += g.Remaining;
        // A new billing period has no uncovered usage until the projection records some (which reloads the customer).
        var uncovered = projected.Period.Contains(now) ? projected.Uncovered : 0m;
        // Usage recorded now draws the allowance of the segment containing now before any credit (docs/credits.md, "Spend checks and holds").
        var allowance = 0m;
        foreach (var a in projected.Allowances)
            if (a.Span.Contains(now)) allowance += a.Remaining;
        var block = customer.Credits.Policy == CreditPolicy.Block;
        return new SpendFigures(customer, allowance + remaining - (block ? uncovered : 0m) - projected.Held - local, allowance, asOf);
    }

    /// <summary>Serializes hold placement for one customer (on this node).</summary>
    public async Task<IDisposable> LockAsync(string customerId, CancellationToken ct)
    {
        var gate = _accounts[customerId].Gate;
        await gate.WaitAsync(ct);
        return new Release(gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _done;
        public void Dispose() { if (Interlocked.Exchange(ref _done, 1) == 0) gate.Release(); }
    }

    /// <summary>
    /// Counts a hold appended by this node: +amount when placed, −amount when ended. Call with
    /// <see cref="long.MaxValue"/> before the append commits (it counts until <see cref="Sequenced"/> names its
    /// sequence) and <see cref="Forget"/> it when the append fails.
    /// </summary>
    public void CountLocal(string customerId, string holdId, decimal amount, long sequence = long.MaxValue)
    {
        if (!_accounts.TryGetValue(customerId, out var account)) return;
        ImmutableInterlocked.Update(ref account.Local, l => l.Add(new LocalHold(holdId, amount, sequence)));
    }

    /// <summary>The appended event of a counted hold got its sequence: it counts until the projection passes it.</summary>
    public void Sequenced(string customerId, string holdId, decimal amount, long sequence)
    {
        if (!_accounts.TryGetValue(customerId, out var account)) return;
        ImmutableInterlocked.Update(ref account.Local, l =>
            l.FindIndex(h => h.HoldId == holdId && h.Amount == amount && h.Sequence == long.MaxValue) is var i and >= 0
                ? l.SetItem(i, new LocalHold(holdId, amount, sequence)) : l);
    }

    public void Forget(string customerId, string holdId, decimal amount)
    {
        if (!_accounts.TryGetValue(customerId, out var account)) return;
        ImmutableInterlocked.Update(ref account.Local, l =>
            l.FindIndex(h => h.HoldId == holdId && h.Amount == amount && h.Sequence == long.MaxValue) is var i and >= 0 ? l.RemoveAt(i) : l);
    }

    /// <summary>Sets a customer's document (terms changed); a new customer starts with no credits until its figures load.</summary>
    public void Put(Customer customer, Instant now)
    {
        var account = _accounts.GetOrAdd(customer.CustomerId,
            _ => new Account(customer, Projected.None(BillingPeriods.MonthOf(now, BillingPeriods.Zone(customer.TimeZone)))));
        account.Customer = customer;
    }

    public void Put(PriceBook book) => _books[book.PriceBookId] = book;

    /// <summary>Sets a customer's projected figures unless newer ones are there already; drops local holds they include.</summary>
    public void Put(string customerId, Projected projected)
    {
        if (!_accounts.TryGetValue(customerId, out var account)) return;
        var current = account.Projected;
        if (projected.AsOf < current.AsOf) return;
        account.Projected = projected;
        Prune(account, projected.AsOf);
    }

    /// <summary>Every customer's figures are current up to <paramref name="position"/> (the feed reloaded all that changed).</summary>
    public void MovedTo(long position)
    {
        if (position <= Position) return;
        Volatile.Write(ref _position, position);
        // Each account's local holds go once its own figures include them (a customer not reloaded keeps older figures).
        foreach (var account in _accounts.Values)
            if (!account.Local.IsEmpty) Prune(account, account.Projected.AsOf);
    }

    private static void Prune(Account account, long position) =>
        ImmutableInterlocked.Update(ref account.Local, l => l.RemoveAll(h => h.Sequence <= position));
}
