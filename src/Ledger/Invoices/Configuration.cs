using JasperFx.Events.Projections;
using Marten;
using Wolverine;

namespace Ledger.Invoices;

/// <summary>Registers invoicing: its events, documents, settings, the issuer, and the durable queue periods close on.</summary>
public static class InvoicesConfiguration
{
    public static void ConfigureMarten(StoreOptions opts)
    {
        opts.Events.AddEventType<InvoiceIssued>();
        opts.Events.AddEventType<InvoiceNumberTaken>();
        opts.Projections.Snapshot<InvoiceCounter>(SnapshotLifecycle.Inline);
        opts.Schema.For<IssuedInvoice>().Index(i => i.CustomerId);
        opts.Schema.For<PeriodCloseScheduled>();
    }

    public static void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<InvoiceOptions>(configuration.GetSection("Ledger:Invoices"));
        services.AddSingleton<InvoiceIssuer>();
    }

    public static void ConfigureWolverine(WolverineOptions opts)
    {
        // Durable: a scheduled close waits in PostgreSQL, so a restart does not lose it.
        opts.PublishMessage<SchedulePeriodClose>().ToLocalQueue(PeriodClose.Queue);
        opts.PublishMessage<ClosePeriodsDue>().ToLocalQueue(PeriodClose.Queue);
        opts.LocalQueue(PeriodClose.Queue).UseDurableInbox().Sequential();
    }
}
