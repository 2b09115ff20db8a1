using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime;

namespace Ledger.Webhooks;

public enum DeliveryStatus { Pending, Delivered, Failed }

/// <summary>One HTTP attempt: the receiver's status code, or why there was none.</summary>
public sealed record DeliveryAttempt(Instant At, int? StatusCode, string? Error, long DurationMs)
{
    [JsonIgnore]
    public bool Succeeded => StatusCode is >= 200 and <= 299;
}

/// <summary>
/// One notice for one endpoint, with every attempt to send it (a Marten document keyed by the
/// deterministic delivery id). It is what the delivery API shows and what decides the next attempt.
/// </summary>
public sealed class WebhookDeliveryRecord
{
    public string Id { get; set; } = "";
    public string EndpointId { get; set; } = "";
    public string Type { get; set; } = "";
    public string? CustomerId { get; set; }
    public string NoticeId { get; set; } = "";
    public JsonElement Data { get; set; }
    public Instant OccurredAt { get; set; }
    public DeliveryStatus Status { get; set; }
    public List<DeliveryAttempt> Attempts { get; set; } = [];
    public Instant? NextAttemptAt { get; set; }
    public Instant CreatedAt { get; set; }
    /// <summary>Why the delivery ended without its retries running out (its endpoint was removed).</summary>
    public string? StoppedReason { get; set; }
    /// <summary>
    /// When the row was inserted (Marten's created-at column): orders the list newest first. Instants are
    /// stored as ISO text with a varying number of fraction digits, which does not sort as text.
    /// </summary>
    public DateTimeOffset StoredAt { get; set; }

    public static WebhookDeliveryRecord Create(string id, string endpointId, WebhookNotice notice, Instant now) => new()
    {
        Id = id, EndpointId = endpointId, Type = notice.Type, CustomerId = notice.CustomerId, NoticeId = notice.NoticeId,
        Data = notice.Data, OccurredAt = notice.OccurredAt, Status = DeliveryStatus.Pending, NextAttemptAt = now, CreatedAt = now
    };

    /// <summary>
    /// Adds an attempt. A 2xx delivers; otherwise the delivery waits <paramref name="retryIn"/> for the next
    /// attempt, or fails when there is none. Returns the wait, or null when the delivery is settled.
    /// </summary>
    public TimeSpan? Record(DeliveryAttempt attempt, TimeSpan? retryIn)
    {
        Attempts.Add(attempt);
        Status = attempt.Succeeded ? DeliveryStatus.Delivered : retryIn is null ? DeliveryStatus.Failed : DeliveryStatus.Pending;
        NextAttemptAt = Status == DeliveryStatus.Pending ? attempt.At + Duration.FromTimeSpan(retryIn!.Value) : null;
        return Status == DeliveryStatus.Pending ? retryIn : null;
    }

    public void Stop(string reason)
    {
        Status = DeliveryStatus.Failed;
        NextAttemptAt = null;
        StoppedReason = reason;
    }
}

/// <summary>A delivery as the API shows it.</summary>
public sealed record DeliveryView(string Id, string Endpoint, string Type, string? Customer, string NoticeId, string Status,
    IReadOnlyList<DeliveryAttempt> Attempts, Instant? NextAttemptAt, string? StoppedReason, Instant OccurredAt, Instant CreatedAt,
    JsonElement Data)
{
    public static DeliveryView Of(WebhookDeliveryRecord d) => new(d.Id, d.EndpointId, d.Type, d.CustomerId, d.NoticeId,
        d.Status.ToString().ToLowerInvariant(), d.Attempts, d.NextAttemptAt, d.StoppedReason, d.OccurredAt, d.CreatedAt, d.Data);
}
