using Ledger.Contracts;
using Ledger.Customers;
using Ledger.Kernel;
using Marten;
using NodaTime;
using Npgsql;

namespace Ledger.Invoices;

/// <summary>
/// An invoice of one customer period, composed inside the caller's repeatable-read transaction (<paramref name="session"/> on
/// it): the contract's fee lines per segment (in arrears, and in advance as settled by <see cref="AdvanceFees"/>), the usage and
/// adjustments the period bills (<see cref="BillingQuery"/>), the minimum-commitment true-up, and the advance fee of the next
/// period. The upcoming draft and the issued invoice are composed alike.
/// </summary>
public static class InvoiceComposer
{
    public static async Task<InvoiceView> ComposeAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IQuerySession session, Customer customer,
        CustomerPeriod period, InvoiceDraft.Heading heading, CancellationToken ct)
    {
        var figures = await BillingQuery.RunAsync(conn, tx, customer.CustomerId, period.Span, ct);
        var fees = ContractFees.Lines(period, FeeTiming.Arrears);
        fees.AddRange(await AdvanceFees.SettleAsync(session, period, customer.CustomerId, customer.Currency, ct));
        fees.AddRange(ContractFees.Lines(CustomerPeriods.Of(customer, period.Span.End), FeeTiming.Advance));
        var trueUp = 0m;
        if (period.Contract is { } contract)
        {
            var full = contract.Cycle.FullPeriodOf(contract.StartsAt, period.Span.Start, BillingPeriods.Zone(contract.TimeZone));
            trueUp = CommitmentTrueUp(contract, period.Span, full, figures);
        }
        return InvoiceDraft.Build(heading, figures, fees, trueUp, Limitations(period));
    }

    /// <summary>
    /// The minimum commitment prorated like the fee (each run of segments under one commitment by the share of the
    /// period it covers, so a whole period's is the commitment exactly), less the period's usage net of the
    /// allowance used; nothing when usage reaches it (docs/invoicing.md#minimum-commitment).
    /// </summary>
    public static decimal CommitmentTrueUp(Contract contract, Interval period, Interval fullPeriod, BillingQuery.Figures figures)
    {
        var minimum = Contract.Runs(contract.Segments(period), t => t.MinimumCommitment)
            .Sum(run => Proration.Prorate(run[0].Version.Terms.MinimumCommitment!.Value, new Interval(run[0].Span.Start, run[^1].Span.End), fullPeriod).Amount);
        return Math.Max(0m, minimum - (figures.UsageAmount - figures.AllowanceAmount));
    }

    private static IReadOnlyList<string> Limitations(CustomerPeriod period) =>
        period.Contract is { } c && c.Segments(period.Span).Any(s => s.Version.Terms.Included is { Quantities.Count: > 0 })
            ? ["The contract's included quantities are free units in the usage lines: a line's quantity counts them, its amount prices only the units beyond."]
            : [];
}
