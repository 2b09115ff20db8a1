using NodaTime;

namespace Ledger.Webhooks;

/// <summary>
/// An endpoint was created or changed (also: created again after removal). The signing secret is part
/// of the event because the ledger must sign with it later; it is never shown after the creating answer.
/// </summary>
public sealed record WebhookEndpointSet(
    string EndpointId,
    string Url,
    string? CustomerId,
    IReadOnlyList<string>? Types,
    string Secret,
    Instant SetAt,
    string SetBy);

/// <summary>An endpoint was removed: nothing new is sent to it and its pending deliveries end as failed.</summary>
public sealed record WebhookEndpointRemoved(string EndpointId, Instant RemovedAt, string RemovedBy);

/// <summary>An endpoint's current configuration, projected inline from its stream (<c>webhook/{id}</c>).</summary>
public sealed partial class WebhookEndpoint
{
    public string Id { get; set; } = "";
    public string EndpointId { get; set; } = "";
    public string Url { get; set; } = "";
    /// <summary>Null: notices of every customer (and those about no customer).</summary>
    public string? CustomerId { get; set; }
    /// <summary>Null: every type.</summary>
    public List<string>? Types { get; set; }
    public string Secret { get; set; } = "";
    public Instant CreatedAt { get; set; }
    public Instant UpdatedAt { get; set; }
    public Instant? RemovedAt { get; set; }

    public static string StreamKey(string endpointId) => $"webhook/{endpointId}";

    public static WebhookEndpoint Create(WebhookEndpointSet e) =>
        new WebhookEndpoint { Id = StreamKey(e.EndpointId), EndpointId = e.EndpointId, CreatedAt = e.SetAt }.With(e);

    public void Apply(WebhookEndpointSet e)
    {
        if (RemovedAt is not null) CreatedAt = e.SetAt; // created again
        RemovedAt = null;
        With(e);
    }

    public void Apply(WebhookEndpointRemoved e) => RemovedAt ??= e.RemovedAt;

    public bool Accepts(WebhookNotice notice) =>
        RemovedAt is null &&
        (CustomerId is null || CustomerId == notice.CustomerId) &&
        (Types is null || Types.Contains(notice.Type));

    private WebhookEndpoint With(WebhookEndpointSet e)
    {
        Url = e.Url;
        CustomerId = e.CustomerId;
        Types = e.Types?.ToList();
        Secret = e.Secret;
        UpdatedAt = e.SetAt;
        return this;
    }
}
