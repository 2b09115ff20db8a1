using Ledger.Contracts;
using Ledger.Hosting;
using Ledger.Kernel;
using Ledger.Rating;
using Marten;
using NodaTime;

namespace Ledger.Credits;

/// <summary>The ledger event that causes a drawdown: its sequence, and its recorded time (which decides which grants are live).</summary>
public readonly record struct Cause(long Sequence, Instant At);

/// <summary>
/// Draws rated usage down from its contract segment's allowance, then from prepaid credits, inside one
/// rating batch and in ledger order (see docs/credits.md, docs/invoicing.md). Holds the accounts of the customers the batch touches, loaded from the
/// projection's tables, and the facts (running out, breakage, low balance) found on the way.
/// </summary>
public sealed class CreditBook(CreditStore store, RatedUsageStore usage, RatingTerms terms)
{
    private readonly Dictionary<string, CreditAccount> _accounts = new();
    private readonly List<(string Key, object Fact, Instant At)> _facts = [];
    private readonly Dictionary<string, HoldState> _holds = new();
    /// <summary>Holds settled with a usage event not rated yet, by that event's key: they end when it is rated.</summary>
    private readonly Dictionary<(string Source, string Id), HoldState> _settling = new();
    /// <summary>The latest recorded time among the events that changed credit in this batch: when low balances are detected.</summary>
    private Instant _at;

    /// <summary>The contract allowances the batch's usage draws before credits.</summary>
    public AllowanceBook Allowances { get; } = new();

    public Task LoadAsync(IEnumerable<string> customerIds, CancellationToken ct)
    {
        var missing = customerIds.Where(c => !_accounts.ContainsKey(c)).Distinct().ToList();
        return missing.Count == 0 ? Task.CompletedTask : store.LoadAccountsAsync(_accounts, missing, ct);
    }

    public CreditAccount Account(string customerId) => _accounts[customerId];

    /// <summary>Loads the holds the batch's events name, and the settling holds of its customers.</summary>
    public async Task LoadHoldsAsync(IReadOnlyCollection<string> holdIds, IReadOnlyCollection<string> customerIds, CancellationToken ct)
    {
        if (holdIds.Count == 0 && customerIds.Count == 0) return;
        foreach (var hold in await store.LoadHoldsAsync(holdIds, customerIds, ct))
        {
            _holds.TryAdd(hold.HoldId, hold);
            if (hold is { Status: "settling", UsageSource: { } source, UsageId: { } id }) _settling[(source, id)] = hold;
        }
    }

    public async Task PlaceAsync(HoldPlaced placed, long sequence, CancellationToken ct)
    {
        if (_holds.ContainsKey(placed.HoldId)) return;
        await LoadAsync([placed.CustomerId], ct);
        _holds[placed.HoldId] = new HoldState
        {
            HoldId = placed.HoldId, CustomerId = placed.CustomerId, Amount = placed.Amount.Amount, ExpiresAt = placed.ExpiresAt,
            PlacedSeq = sequence, Changed = true
        };
        var account = _accounts[placed.CustomerId];
        account.Held += placed.Amount.Amount;
        account.Changed = true;
    }

    /// <summary>A hold names its usage: it ends now if that usage is rated already, otherwise when it is.</summary>
    public async Task SettleAsync(HoldSettled settled, long sequence, bool ratedInBatch, CancellationToken ct)
    {
        if (!_holds.TryGetValue(settled.HoldId, out var hold) || hold.Status != "held") return;
        if (ratedInBatch || await store.IsRatedAsync(settled.Source, settled.EventId, ct))
        {
            await EndAsync(hold, "settled", sequence, ct);
            return;
        }
        hold.Status = "settling";
        hold.UsageSource = settled.Source;
        hold.UsageId = settled.EventId;
        hold.Changed = true;
        _settling[(settled.Source, settled.EventId)] = hold;
    }

    public async Task EndAsync(HoldEnded ended, long sequence, CancellationToken ct)
    {
        if (_holds.TryGetValue(ended.HoldId, out var hold))
            await EndAsync(hold, ended.How == HoldEnd.Expired ? "expired" : "released", sequence, ct);
    }

    /// <summary>A usage event was rated: a hold waiting for it ends.</summary>
    public async Task UsageRatedAsync(string source, string eventId, long sequence, CancellationToken ct)
    {
        if (_settling.Remove((source, eventId), out var hold)) await EndAsync(hold, "settled", sequence, ct);
    }

    private async Task EndAsync(HoldState hold, string status, long sequence, CancellationToken ct)
    {
        if (!hold.Open) return;
        await LoadAsync([hold.CustomerId], ct);
        hold.Status = status;
        hold.EndedSeq = sequence;
        hold.Changed = true;
        var account = _accounts[hold.CustomerId];
        account.Held -= hold.Amount;
        account.Changed = true;
    }

    private void Seen(Instant at)
    {
        if (at > _at) _at = at;
    }

    /// <summary>A fact to record once, under its stream key, when the batch commits.</summary>
    public void Record(string streamKey, object fact, Instant at) => _facts.Add((streamKey, fact, at));

    /// <summary>
    /// Pays a usage event's new amount (<paramref name="after"/>) given how its previous amount was
    /// paid (<paramref name="before"/>; null for new usage). First the allowance of its contract segment,
    /// drawn afresh in ledger order (<see cref="AllowanceBook"/>): the event's allowance drawdowns move to
    /// what the allowance pays now. Of the rest, only the difference moves: more is drawn from live grants,
    /// less is given back (uncovered first, then the latest credit drawdowns).
    /// </summary>
    public void Settle(UsageCredit? before, UsageCredit after, Cause cause)
    {
        after.Drawdowns = before is null ? [] : [.. before.Drawdowns];
        after.Uncovered = before?.Uncovered ?? 0m;
        var allowanceBefore = DrawAllowance(after, cause);
        var delta = after.Amount - after.Allowance - ((before?.Amount ?? 0m) - allowanceBefore);
        if (delta == 0) return;
        Seen(cause.At);
        var account = _accounts[after.CustomerId];
        account.Changed = true;
        if (delta > 0) Draw(account, after, delta, cause);
        else GiveBack(account, after, -delta, cause);
    }

    /// <summary>
    /// Pays <paramref name="usage"/> from its segment's allowance as far as it reaches (nothing for a negative amount, another
    /// currency or usage outside a money allowance), recording the change against its earlier allowance drawdowns; returns
    /// what allowances paid of it before.
    /// </summary>
    private decimal DrawAllowance(UsageCredit usage, Cause cause)
    {
        Dictionary<string, decimal>? earlier = null; // most usage has none: no allocation then
        foreach (var d in usage.Drawdowns)
            if (ContractAllowances.IsAllowance(d.Grant)) (earlier ??= [])[d.Grant] = earlier.GetValueOrDefault(d.Grant) + d.Amount;
        var segment = Allowances.SegmentAt(terms.CustomerOf(usage.CustomerId), usage.UsageAt);
        if (segment is not null && segment.Amount.Currency != usage.Currency) segment = null;
        var paid = segment is null ? 0m : Allowances.Draw(usage.CustomerId, segment, usage.Amount);
        if (earlier is null)
        {
            if (paid != 0) usage.Drawdowns.Add(new Drawdown(segment!.GrantId, paid, cause.Sequence));
            return 0m;
        }
        foreach (var (grant, net) in earlier)
            if (grant != segment?.GrantId && net != 0) usage.Drawdowns.Add(new Drawdown(grant, -net, cause.Sequence));
        if (segment is not null && paid != earlier.GetValueOrDefault(segment.GrantId))
            usage.Drawdowns.Add(new Drawdown(segment.GrantId, paid - earlier.GetValueOrDefault(segment.GrantId), cause.Sequence));
        return earlier.Values.Sum();
    }

    private void Draw(CreditAccount account, UsageCredit usage, decimal amount, Cause cause)
    {
        foreach (var grant in account.Grants)
        {
            if (amount == 0) return;
            if (!grant.PaysAt(usage.Currency, cause.At)) continue;
            var paid = Math.Min(amount, grant.Remaining);
            grant.Draw(paid);
            usage.Drawdowns.Add(new Drawdown(grant.GrantId, paid, cause.Sequence));
            amount -= paid;
        }
        if (amount == 0) return;
        usage.Uncovered += amount;
        if (account.Grants.Count == 0 || account.Exhausted) return;
        account.Exhausted = true;
        var policy = terms.CustomerOf(account.CustomerId)?.Credits.Policy ?? CreditPolicy.Overage;
        _facts.Add((CreditsExhausted.StreamKey(account.CustomerId, usage.Sequence),
            new CreditsExhausted(account.CustomerId, policy, new Money(amount, usage.Currency!), usage.Sequence, cause.At), cause.At));
    }

    private static void GiveBack(CreditAccount account, UsageCredit usage, decimal amount, Cause cause)
    {
        var fromUncovered = Math.Min(Math.Max(usage.Uncovered, 0m), amount);
        usage.Uncovered -= fromUncovered;
        amount -= fromUncovered;
        var net = usage.Drawdowns.GroupBy(d => d.Grant).ToDictionary(g => g.Key, g => g.Sum(d => d.Amount));
        for (var i = usage.Drawdowns.Count - 1; i >= 0 && amount > 0; i--)
        {
            var grantId = usage.Drawdowns[i].Grant;
            if (ContractAllowances.IsAllowance(grantId)) continue; // the allowance part was settled before (DrawAllowance)
            var back = Math.Min(net[grantId], amount);
            if (back <= 0) continue;
            net[grantId] -= back;
            amount -= back;
            account.Find(grantId)?.GiveBack(back);
            usage.Drawdowns.Add(new Drawdown(grantId, -back, cause.Sequence));
        }
        usage.Uncovered -= amount; // below what was ever paid: a negative amount, owed back to the customer
    }

    /// <summary>Records a new grant; it drains after the customer's other grants of lower priority. Null when it is known already.</summary>
    public GrantState? Grant(CreditGranted granted, long sequence)
    {
        var account = _accounts[granted.CustomerId];
        if (account.Find(granted.GrantId) is not null) return null;
        Seen(granted.GrantedAt);
        var grant = new GrantState
        {
            CustomerId = granted.CustomerId, GrantId = granted.GrantId, Currency = granted.Amount.Currency, Kind = granted.Kind,
            Priority = granted.Priority, EffectiveAt = granted.EffectiveAt, ExpiresAt = granted.ExpiresAt, GrantedSeq = sequence,
            Granted = granted.Amount.Amount, Changed = true
        };
        account.Grants.Add(grant);
        account.Grants.Sort(GrantState.DrawdownOrder);
        account.LastTopUp = granted.GrantId;
        account.LastTopUpAmount = granted.Amount.Amount;
        account.Changed = true;
        return grant;
    }

    /// <summary>Moves uncovered usage onto <paramref name="grant"/> (a top-up paying accrued overage); returns the amount moved.</summary>
    public static decimal Cover(GrantState grant, UsageCredit usage, long sequence)
    {
        if (usage.Uncovered <= 0 || usage.Currency != grant.Currency || grant.Remaining <= 0) return 0m;
        var paid = Math.Min(usage.Uncovered, grant.Remaining);
        grant.Draw(paid);
        usage.Uncovered -= paid;
        usage.Drawdowns.Add(new Drawdown(grant.GrantId, paid, sequence));
        return paid;
    }

    /// <summary>After a top-up: the customer has credit again unless covering accrued overage used all of it.</summary>
    public void ToppedUp(GrantState grant)
    {
        if (grant.Remaining > 0) _accounts[grant.CustomerId].Exhausted = false;
    }

    public async Task VoidAsync(CreditGrantVoided voided, long sequence, CancellationToken ct)
    {
        await LoadAsync([voided.CustomerId], ct);
        Seen(voided.VoidedAt);
        Close(voided.CustomerId, voided.GrantId, sequence, "voided", g => g.Voided += g.Remaining);
    }

    public async Task ExpireAsync(CreditGrantExpired expired, long sequence, CancellationToken ct)
    {
        await LoadAsync([expired.CustomerId], ct);
        Seen(expired.ExpiredAt);
        var breakage = Close(expired.CustomerId, expired.GrantId, sequence, "expired", g => g.Expired += g.Remaining);
        // Recorded also when nothing is left (0.00): the customer hears of every expiry, and revenue sees breakage of zero.
        if (breakage is { } b)
            _facts.Add((CreditBreakageRecorded.StreamKey(expired.CustomerId, expired.GrantId),
                new CreditBreakageRecorded(expired.CustomerId, expired.GrantId, b, expired.ExpiredAt, sequence), expired.ExpiredAt));
    }

    /// <summary>Closes an active grant, putting its remainder where <paramref name="close"/> says; returns that remainder.</summary>
    private Money? Close(string customerId, string grantId, long sequence, string status, Action<GrantState> close)
    {
        var grant = _accounts[customerId].Find(grantId);
        if (grant is not { Status: "active" }) return null;
        var remainder = new Money(grant.Remaining, grant.Currency);
        close(grant);
        grant.Status = status;
        grant.ClosedSeq = sequence;
        grant.Changed = true;
        _accounts[customerId].Changed = true;
        return remainder;
    }

    /// <summary>
    /// Queues the batch's changes of grants and accounts, and the facts found: running out, breakage,
    /// and each low-balance threshold reached since the last top-up.
    /// </summary>
    public async Task QueueAsync(IDocumentOperations ops, long position, CancellationToken ct)
    {
        var changed = _accounts.Values.Where(a => a.Changed).ToList();
        foreach (var account in changed) LowBalance(account, position, _at);
        var recorded = await usage.ExistingStreamsAsync(_facts.Select(f => f.Key).ToList(), ct);
        foreach (var (key, fact, when) in _facts.Where(f => !recorded.Contains(f.Key)).DistinctBy(f => f.Key))
            RaisedEvents.QueueAppendOnce(ops, key, fact, when);
        CreditStore.QueueGrants(ops, changed.SelectMany(a => a.Grants).Where(g => g.Changed).ToList());
        CreditStore.QueueHolds(ops, _holds.Values.Where(h => h.Changed).ToList());
        CreditStore.QueueAllowances(ops, Allowances.Changes());
        // An account whose customer's allowance moved is written too (no alerts: its credit did not change), so its updated_seq
        // and the notification tell the spend-check view to read the allowance again (docs/credits.md, "Spend checks and holds").
        var allowanceMoved = Allowances.ChangedCustomers().Select(c => _accounts.GetValueOrDefault(c)).OfType<CreditAccount>();
        CreditStore.QueueAccounts(ops, changed.Union(allowanceMoved).ToList(), position);
    }

    private void LowBalance(CreditAccount account, long position, Instant at)
    {
        var alerts = terms.CustomerOf(account.CustomerId)?.Credits.LowBalanceAlerts;
        if (alerts is not { Count: > 0 } || account.LastTopUp is null) return;
        var currency = account.Find(account.LastTopUp)!.Currency;
        var remaining = account.Remaining;
        foreach (var alert in alerts)
        {
            var threshold = alert.ThresholdFor(account.LastTopUpAmount);
            if (remaining > threshold) continue;
            _facts.Add((LowCreditBalance.StreamKey(account.CustomerId, account.LastTopUp, alert.Name),
                new LowCreditBalance(account.CustomerId, alert.Name, new Money(threshold, currency), new Money(remaining, currency),
                    account.LastTopUp, position, at), at));
        }
    }
}
