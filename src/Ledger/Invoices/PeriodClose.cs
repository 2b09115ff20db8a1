using JasperFx.Events;
using Ledger.Contracts;
using Ledger.Customers;
using Ledger.Webhooks;
using Marten;
using Microsoft.Extensions.Options;
using NodaTime;
using Wolverine;
using Wolverine.Marten.Subscriptions;
using Wolverine.Runtime.Handlers;

namespace Ledger.Invoices;

/// <summary>Make sure the close of the customer's period containing <paramref name="At"/> is scheduled.</summary>
public sealed record SchedulePeriodClose(string CustomerId, Instant At);

/// <summary>Close the customer's periods from the one containing <paramref name="At"/> that are past their grace window.</summary>
public sealed record ClosePeriodsDue(string CustomerId, Instant At);

/// <summary>Marks that the close of one customer period is scheduled, so it is scheduled once.</summary>
public sealed class PeriodCloseScheduled
{
    public string Id { get; set; } = "";
    public static string IdOf(string customerId, Instant periodStart) => $"{customerId}|{periodStart}";
}

/// <summary>
/// Periods close on their own: a Marten subscription relays each customer's creation and each contract
/// change (which may move period boundaries) to <see cref="SchedulePeriodClose"/>, which schedules a durable
/// <see cref="ClosePeriodsDue"/> for the period's end plus the grace window. That message closes every period
/// due, issuing an invoice for each with something to bill, then schedules the next: a chain per customer that
/// survives restarts (scheduled messages are stored in PostgreSQL) and runs once per period (a marker document).
/// </summary>
public static class PeriodClose
{
    public const string Subscription = "period-close";
    public const string Queue = "period-close";

    public static void Relay(IPublishingRelay relay)
    {
        relay.PublishEvent<CustomerTermsSet>((e, bus) => bus.PublishAsync(new SchedulePeriodClose(e.Data.CustomerId, e.Data.SetAt)));
        // A contract's start also schedules the close of the period before it, whose invoice bills the first period's advance fee.
        relay.PublishEvent<ContractStarted>(async (e, bus) =>
        {
            await bus.PublishAsync(new SchedulePeriodClose(e.Data.CustomerId, e.Data.StartsAt - Duration.Epsilon));
            await bus.PublishAsync(new SchedulePeriodClose(e.Data.CustomerId, e.Data.StartsAt));
        });
        relay.PublishEvent<ContractAmended>((e, bus) => bus.PublishAsync(new SchedulePeriodClose(e.Data.CustomerId, e.Data.EffectiveAt)));
        relay.PublishEvent<ContractEnded>((e, bus) => bus.PublishAsync(new SchedulePeriodClose(e.Data.CustomerId, e.Data.EndsAt)));
    }

    /// <summary>Schedules the close of <paramref name="period"/> in <paramref name="session"/>'s outbox, unless it is scheduled already.</summary>
    public static async Task ScheduleAsync(IDocumentSession session, IMessageBus bus, string customerId, CustomerPeriod period, InvoiceOptions options,
        CancellationToken ct)
    {
        var id = PeriodCloseScheduled.IdOf(customerId, period.Span.Start);
        if (await session.LoadAsync<PeriodCloseScheduled>(id, ct) is not null) return;
        session.Insert(new PeriodCloseScheduled { Id = id });
        var due = period.Span.End + Duration.FromTimeSpan(options.GraceWindow);
        await bus.ScheduleAsync(new ClosePeriodsDue(customerId, period.Span.Start), due.ToDateTimeOffset());
    }
}

public static class SchedulePeriodCloseHandler
{
    public static void Configure(HandlerChain chain) => WebhookConfiguration.RetryTransientFailures(chain);

    public static async Task Handle(SchedulePeriodClose message, IDocumentSession session, IMessageBus bus, IOptions<InvoiceOptions> options,
        CancellationToken ct)
    {
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(message.CustomerId), ct);
        if (customer is null) return;
        await PeriodClose.ScheduleAsync(session, bus, message.CustomerId, CustomerPeriods.Of(customer, message.At), options.Value, ct);
    }
}

public static class ClosePeriodsDueHandler
{
    public static void Configure(HandlerChain chain) => WebhookConfiguration.RetryTransientFailures(chain);

    public static async Task Handle(ClosePeriodsDue message, IDocumentSession session, IMessageBus bus, InvoiceIssuer issuer,
        IOptions<InvoiceOptions> options, IClock clock, CancellationToken ct)
    {
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(message.CustomerId), ct);
        if (customer is null) return;
        var grace = Duration.FromTimeSpan(options.Value.GraceWindow);
        var period = CustomerPeriods.Of(customer, message.At);
        var sentBack = new HashSet<Instant>();
        while (period.Span.End + grace <= clock.GetCurrentInstant())
        {
            switch (await issuer.CloseAsync(message.CustomerId, period, skipEmpty: true, "ledger (period close)", ct))
            {
                // Close the earlier one first; sent back to the same one twice means closing it did not help: fail (and retry later) rather than spin.
                case InvoiceIssuer.EarlierFirst earlier when sentBack.Add(earlier.Period.Span.Start):
                    period = earlier.Period;
                    continue;
                case InvoiceIssuer.EarlierFirst earlier:
                    throw new InvalidOperationException($"Period {earlier.Period.Name} of customer \"{message.CustomerId}\" holds usage to bill but closing it billed nothing.");
                case InvoiceIssuer.Refused refused:
                    throw new InvalidOperationException($"Period {period.Name} of customer \"{message.CustomerId}\" could not be closed now; retrying.");
            }
            period = CustomerPeriods.Of(customer, period.Span.End);
        }
        await PeriodClose.ScheduleAsync(session, bus, message.CustomerId, period, options.Value, ct);
    }
}
