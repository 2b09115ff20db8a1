using JasperFx.Events.Projections;
using Marten;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Runtime.Handlers;

namespace Ledger.Webhooks;

/// <summary>Registers the webhook feature: its Marten documents and its two durable local queues.</summary>
public static class WebhookConfiguration
{
    public const string NoticeQueue = "webhook-notices";
    public const string DeliveryQueue = "webhook-deliveries";

    public static void ConfigureMarten(StoreOptions opts)
    {
        opts.Projections.Snapshot<WebhookEndpoint>(SnapshotLifecycle.Inline);
        opts.Schema.For<WebhookDeliveryRecord>()
            .Metadata(m => m.CreatedAt.MapTo(d => d.StoredAt))
            .IndexCreatedAt()
            .Index(d => d.CustomerId);
    }

    public static void ConfigureWolverine(WolverineOptions opts, IConfiguration configuration)
    {
        var settings = WebhookSettings.From(configuration);
        opts.Services.AddSingleton(settings);
        opts.Services.AddHttpClient(WebhookDeliveryHandler.HttpClientName, client => client.Timeout = settings.Timeout)
            // A redirect is not an answer from the configured endpoint: it counts as a failed attempt.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            .RemoveAllLoggers();

        // Durable inboxes: a notice or an attempt is in PostgreSQL before it is acknowledged, so a crash
        // between accepting and sending loses nothing; scheduled retries wait there too.
        opts.PublishMessage<WebhookNotice>().ToLocalQueue(NoticeQueue);
        opts.PublishMessage<WebhookDelivery>().ToLocalQueue(DeliveryQueue);
        opts.LocalQueue(NoticeQueue).UseDurableInbox();
        // Sends wait on other systems (up to the timeout each), so run several at once.
        opts.LocalQueue(DeliveryQueue).UseDurableInbox().MaximumParallelMessages(16);

        // Scheduled messages in the durable inbox are polled for (every 5 s by default); a schedule with
        // shorter delays (tests) would otherwise wait for the poll instead of its delay.
        var shortest = settings.RetryDelays.DefaultIfEmpty(TimeSpan.MaxValue).Min();
        if (shortest < opts.Durability.ScheduledJobPollingTime)
            opts.Durability.ScheduledJobPollingTime = TimeSpan.FromMilliseconds(Math.Max(100, shortest.TotalMilliseconds / 2));
    }

    /// <summary>Database hiccups and a lost insert race are retried; a malformed notice is dead-lettered at once.</summary>
    public static void RetryTransientFailures(HandlerChain chain)
    {
        chain.OnException<ArgumentException>().MoveToErrorQueue();
        chain.OnAnyException()
            .RetryWithCooldown(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2))
            .Then.ScheduleRetry(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1));
    }
}
