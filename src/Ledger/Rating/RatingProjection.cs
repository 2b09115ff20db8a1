using JasperFx.Events;
using Ledger.Budgets;
using Ledger.Contracts;
using Ledger.Credits;
using Ledger.Customers;
using Ledger.Pricing;
using Ledger.Usage;
using Marten;
using Marten.Events.Projections;
using NodaTime;

namespace Ledger.Rating;

/// <summary>
/// Rates every usage event into <c>ledger.rated_usage</c>, in the async daemon, so ingestion never
/// waits for pricing. It also watches the terms that decide prices: when a customer appears, a price
/// book version is published (backdated or not), overrides change or a contract starts, is amended or
/// ends, the usage those terms may price (or whose allowance they may share out) differently is rated
/// again, from the start of its billing period. So the rows always equal rating
/// every event under the terms finally in force. The terms are those of the log at each event's
/// position (<see cref="RatingTerms"/>), so a rebuild from the log repeats every step exactly.
/// </summary>
public sealed class RatingProjection(RatedUsageStore store, RatingTerms terms, BudgetWatch budgets, CreditStore creditStore) : IProjection
{
    public const string Name = "rating";

    /// <summary>The ledger position rating has reached (its rows and this progress commit together): read it in the snapshot that reads the rows.</summary>
    public const string PositionSql = $"select coalesce(max(last_seq_id), 0) from ledger.mt_event_progression where name like '{Name}:%'";
    private readonly Rater _rater = new();

    public static void Configure(JasperFx.Events.Projections.ProjectionBase projection)
    {
        projection.Name = Name;
        projection.IncludeType<UsageRecorded>();
        projection.IncludeType<CustomerTermsSet>();
        projection.IncludeType<CustomerOverridesSet>();
        projection.IncludeType<PriceBookVersionPublished>();
        projection.IncludeType<ContractStarted>();
        projection.IncludeType<ContractAmended>();
        projection.IncludeType<ContractEnded>();
        projection.IncludeType<CreditGranted>();
        projection.IncludeType<CreditGrantVoided>();
        projection.IncludeType<CreditGrantExpired>();
        projection.IncludeType<HoldPlaced>();
        projection.IncludeType<HoldSettled>();
        projection.IncludeType<HoldEnded>();
        projection.Options.BatchSize = 5_000;
        projection.Options.DeleteDataInTableOnTeardown("ledger.rated_usage");
        projection.Options.DeleteDataInTableOnTeardown("ledger.rating_tiers");
        projection.Options.DeleteDataInTableOnTeardown("ledger.rated_spend");
        projection.Options.DeleteDataInTableOnTeardown("ledger.credit_grants");
        projection.Options.DeleteDataInTableOnTeardown("ledger.credit_accounts");
        projection.Options.DeleteDataInTableOnTeardown("ledger.credit_holds");
        projection.Options.DeleteDataInTableOnTeardown("ledger.contract_allowances");
        projection.Options.DeleteDataInTableOnTeardown("ledger.contract_included_units");
    }

    public async Task ApplyAsync(IDocumentOperations ops, IReadOnlyList<IEvent> events, CancellationToken ct)
    {
        if (events.Count == 0) return;
        await terms.MoveBeforeAsync(events[0].Sequence, ct);
        var batch = new RatingBatch(ops, store, _rater, terms, new CreditBook(creditStore, store, terms), creditStore);
        await batch.PrepareAsync(events, ct);
        foreach (var e in events)
        {
            // Each event's own record of when it happened decides which grants are live for what it changes.
            switch (e)
            {
                case IEvent<UsageRecorded> usage:
                    await batch.RateNewAsync(usage.Sequence, usage.Data, ct);
                    break;
                case IEvent<CustomerTermsSet> set:
                    var from = RatingBatch.RerateFrom(terms.CustomerOf(set.Data.CustomerId), set.Data);
                    terms.Apply(set.Data);
                    await batch.RerateAsync(set.Data.CustomerId, from, new Cause(e.Sequence, set.Data.SetAt), ct);
                    break;
                case IEvent<CustomerOverridesSet> overrides:
                    terms.Apply(overrides.Data);
                    await batch.RerateAsync(overrides.Data.CustomerId, overrides.Data.EffectiveFrom, new Cause(e.Sequence, overrides.Data.SetAt), ct);
                    break;
                case IEvent<PriceBookVersionPublished> published:
                    terms.Apply(published.Data);
                    foreach (var customer in await batch.CustomersAffectedByAsync(published.Data, ct))
                        await batch.RerateAsync(customer, published.Data.EffectiveFrom, new Cause(e.Sequence, published.Data.PublishedAt), ct);
                    break;
                case IEvent<ContractStarted> started:
                    terms.Apply(started.Data);
                    await batch.RerateAsync(started.Data.CustomerId, started.Data.StartsAt, new Cause(e.Sequence, started.Data.RecordedAt), ct);
                    break;
                case IEvent<ContractAmended> amended:
                    terms.Apply(amended.Data);
                    await batch.RerateAsync(amended.Data.CustomerId, PeriodStart(amended.Data.CustomerId, amended.Data.ContractId, amended.Data.EffectiveAt),
                        new Cause(e.Sequence, amended.Data.RecordedAt), ct);
                    break;
                case IEvent<ContractEnded> ended:
                    // The period the end cuts short is shared out again: from its start (the end itself is outside the contract).
                    var last = PeriodStart(ended.Data.CustomerId, ended.Data.ContractId, ended.Data.EndsAt - Duration.Epsilon);
                    terms.Apply(ended.Data);
                    await batch.RerateAsync(ended.Data.CustomerId, last ?? ended.Data.EndsAt, new Cause(e.Sequence, ended.Data.RecordedAt), ct);
                    break;
                case IEvent<CreditGranted> granted:
                    await batch.GrantAsync(granted.Data, new Cause(e.Sequence, granted.Data.GrantedAt), ct);
                    break;
                case IEvent<CreditGrantVoided> voided:
                    await batch.Credits.VoidAsync(voided.Data, e.Sequence, ct);
                    break;
                case IEvent<CreditGrantExpired> expired:
                    await batch.Credits.ExpireAsync(expired.Data, e.Sequence, ct);
                    break;
                case IEvent<HoldPlaced> placed:
                    await batch.Credits.PlaceAsync(placed.Data, e.Sequence, ct);
                    break;
                case IEvent<HoldSettled> settled:
                    await batch.SettleHoldAsync(settled.Data, e.Sequence, ct);
                    break;
                case IEvent<HoldEnded> ended:
                    await batch.Credits.EndAsync(ended.Data, e.Sequence, ct);
                    break;
            }
        }
        var spend = batch.SpendChanges();
        await batch.QueueAsync(spend, events[^1].Sequence, ct);
        await budgets.CheckAsync(ops, batch.Rows, terms, spend, ct);
        terms.MovedTo(events[^1].Sequence);
    }

    /// <summary>
    /// The start of the contract's billing period containing <paramref name="at"/> (its start when <paramref name="at"/> is
    /// before it): a change there shares the period's allowance out again, so its usage is paid again from there.
    /// </summary>
    private Instant? PeriodStart(string customerId, string contractId, Instant at) =>
        terms.CustomerOf(customerId)?.ContractOf(contractId) is { } contract
            ? contract.PeriodOf(at < contract.StartsAt ? contract.StartsAt : at).Start
            : null;
}
