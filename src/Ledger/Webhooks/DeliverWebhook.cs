using System.Diagnostics;
using System.Net.Http.Headers;
using Marten;
using NodaTime;
using Wolverine;
using Wolverine.Runtime.Handlers;

namespace Ledger.Webhooks;

/// <summary>
/// Make attempt number <paramref name="Attempt"/> of a delivery. Travels through Wolverine's durable local
/// queue, so an accepted attempt survives a crash; a retry is this message scheduled for later.
/// </summary>
/// <param name="Manual">Sent by POST .../retry: one attempt now, no further schedule.</param>
public sealed record WebhookDelivery(string DeliveryId, int Attempt, bool Manual = false);

public static class WebhookDeliveryHandler
{
    public const string HttpClientName = "webhooks";

    public static void Configure(HandlerChain chain) => WebhookConfiguration.RetryTransientFailures(chain);

    public static async Task<OutgoingMessages> Handle(WebhookDelivery message, IDocumentSession session,
        IHttpClientFactory clients, WebhookSettings settings, IClock clock, CancellationToken ct)
    {
        var delivery = await session.LoadAsync<WebhookDeliveryRecord>(message.DeliveryId, ct);
        // A message for an attempt that was already recorded (a retry raced a manual one, or the delivery
        // ended) changes nothing. After a crash before commit the attempt is not recorded, so it is made again.
        if (delivery is null || delivery.Status != DeliveryStatus.Pending || delivery.Attempts.Count != message.Attempt - 1)
            return [];

        var endpoint = await session.LoadAsync<WebhookEndpoint>(WebhookEndpoint.StreamKey(delivery.EndpointId), ct);
        if (endpoint is null || endpoint.RemovedAt is not null)
        {
            delivery.Stop("The endpoint was removed before the notice was delivered.");
            session.Store(delivery);
            return [];
        }

        var attempt = await PostAsync(clients.CreateClient(HttpClientName), endpoint, delivery, message.Attempt, settings.Timeout, clock, ct);
        var retryIn = delivery.Record(attempt, message.Manual ? null : settings.DelayAfter(message.Attempt));
        session.Store(delivery);
        return retryIn is { } wait ? [new WebhookDelivery(delivery.Id, message.Attempt + 1).DelayedFor(wait)] : [];
    }

    /// <summary>One signed POST with the endpoint's current URL and secret; every outcome is an attempt, none throws.</summary>
    private static async Task<DeliveryAttempt> PostAsync(HttpClient client, WebhookEndpoint endpoint, WebhookDeliveryRecord delivery,
        int attempt, TimeSpan timeout, IClock clock, CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var body = WebhookSignature.Body(delivery);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("Ledger-Webhook-Id", delivery.Id);
        request.Headers.Add("Ledger-Webhook-Attempt", attempt.ToString());
        request.Headers.Add("Ledger-Signature", WebhookSignature.Header(endpoint.Secret, now.ToUnixTimeSeconds(), body));
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var status = (int)response.StatusCode;
            return new DeliveryAttempt(now, status, response.IsSuccessStatusCode ? null
                : $"The receiver answered {status} {response.ReasonPhrase}; only a 2xx answer counts as delivered.", watch.ElapsedMilliseconds);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new DeliveryAttempt(now, null, $"No answer within {timeout.TotalSeconds:0.###} s.", watch.ElapsedMilliseconds);
        }
        catch (HttpRequestException e)
        {
            return new DeliveryAttempt(now, null, $"{e.HttpRequestError}: {e.Message}", watch.ElapsedMilliseconds);
        }
    }
}
