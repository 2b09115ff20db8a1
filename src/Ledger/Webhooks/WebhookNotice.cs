using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marten;
using NodaTime;
using Wolverine;
using Wolverine.Runtime.Handlers;

namespace Ledger.Webhooks;

/// <summary>
/// The one message other features publish (<c>IMessageBus.PublishAsync</c> or as a cascading message) to
/// notify the AI company's systems. Every configured endpoint whose customer and types match gets it once.
/// </summary>
/// <param name="Type">What happened, dot-separated lowercase words, e.g. <c>budget.threshold_crossed</c>.</param>
/// <param name="CustomerId">The customer it concerns; null for a notice about no single customer (global endpoints only).</param>
/// <param name="NoticeId">A deterministic id of the underlying fact (e.g. customer, period and threshold), so
/// publishing the same fact twice delivers it once.</param>
/// <param name="Data">The notice's own payload, sent as <c>data</c>.</param>
/// <param name="OccurredAt">When the fact happened (business time), sent as <c>occurred_at</c>.</param>
public sealed record WebhookNotice(string Type, string? CustomerId, string NoticeId, JsonElement Data, Instant OccurredAt);

/// <summary>Fans a notice out: one <see cref="WebhookDelivery"/> per matching endpoint, never two for the same pair.</summary>
public static class WebhookNoticeHandler
{
    public static void Configure(HandlerChain chain) => WebhookConfiguration.RetryTransientFailures(chain);

    public static async Task<OutgoingMessages> Handle(WebhookNotice notice, IDocumentSession session, IClock clock, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(notice.Type) || string.IsNullOrWhiteSpace(notice.NoticeId))
            throw new ArgumentException($"A webhook notice needs a type and a notice id; got type \"{notice.Type}\", notice id \"{notice.NoticeId}\".");

        // Endpoints are configuration (tens, not millions), so matching in memory is simpler than in SQL.
        var endpoints = (await session.Query<WebhookEndpoint>().ToListAsync(ct)).Where(e => e.Accepts(notice))
            .ToDictionary(e => DeliveryId(notice.NoticeId, e.EndpointId));
        var existing = (await session.LoadManyAsync<WebhookDeliveryRecord>(ct, endpoints.Keys)).Select(d => d.Id).ToHashSet();

        var now = clock.GetCurrentInstant();
        var deliveries = new OutgoingMessages();
        foreach (var (id, endpoint) in endpoints.Where(p => !existing.Contains(p.Key)))
        {
            // Insert, not Store: if the same notice is handled twice at once, the second insert fails on the
            // primary key and its retry finds the delivery, so the pair is still sent only once.
            session.Insert(WebhookDeliveryRecord.Create(id, endpoint.EndpointId, notice, now));
            deliveries.Add(new WebhookDelivery(id, 1));
        }
        return deliveries;
    }

    /// <summary>Deterministic in (notice, endpoint); endpoint ids cannot contain a line break, so pairs cannot collide.</summary>
    public static string DeliveryId(string noticeId, string endpointId) =>
        "whd_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{noticeId}\n{endpointId}")))[..32];
}
