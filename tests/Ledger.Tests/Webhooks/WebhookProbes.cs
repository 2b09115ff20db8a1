using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Tests.Support;
using Ledger.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Wolverine;

namespace Ledger.Tests.Webhooks;

/// <summary>Configures endpoints through the API, publishes notices through the host's bus, and reads deliveries.</summary>
public static class WebhookProbes
{
    public static string NewEndpointId() => $"wh-{Guid.NewGuid():N}";

    /// <summary>A notice type no other test uses, so global endpoints of one test never see another's notices.</summary>
    public static string NewType() => $"test.t{Guid.NewGuid():N}";

    public static Task<HttpResponseMessage> PutWebhookAsync(this LedgerFixture ledger, string id, string json) =>
        ledger.Client.PutAsync($"/v1/webhooks/{Uri.EscapeDataString(id)}", new StringContent(json, Encoding.UTF8, "application/json"));

    public static WebhookNotice Notice(string type, string? customer, string? noticeId = null, string data = """{"spent":"80.00"}""") =>
        new(type, customer, noticeId ?? $"notice-{Guid.NewGuid():N}", JsonDocument.Parse(data).RootElement.Clone(),
            Instant.FromUtc(2026, 3, 14, 15, 9, 26) + Duration.FromMilliseconds(535));

    /// <summary>What another feature does: publish the notice with Wolverine.</summary>
    public static async Task PublishAsync(this LedgerFixture ledger, WebhookNotice notice)
    {
        using var scope = ledger.Factory.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<IMessageBus>().PublishAsync(notice);
    }

    public static string DeliveryId(WebhookNotice notice, string endpointId) => WebhookNoticeHandler.DeliveryId(notice.NoticeId, endpointId);

    /// <summary>Polls GET /v1/webhooks/deliveries/{id} until it has the status (and at least that many attempts).</summary>
    public static async Task<JsonElement> DeliveryAsync(this LedgerFixture ledger, string deliveryId, string status, int attempts = 1, int seconds = 20)
    {
        var clock = Stopwatch.StartNew();
        string last;
        do
        {
            var response = await ledger.Client.GetAsync($"/v1/webhooks/deliveries/{deliveryId}");
            last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var delivery = await response.JsonAsync();
                if (delivery.GetProperty("status").GetString() == status && delivery.GetProperty("attempts").GetArrayLength() >= attempts)
                    return delivery;
            }
            await Task.Delay(50);
        } while (clock.Elapsed < TimeSpan.FromSeconds(seconds));
        Assert.Fail($"Delivery {deliveryId} was not {status} with {attempts}+ attempts within {seconds} s; last answer: {last}");
        return default;
    }

    public static async Task<List<JsonElement>> DeliveriesAsync(this LedgerFixture ledger, string query)
    {
        var response = await ledger.Client.GetAsync($"/v1/webhooks/deliveries?{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.JsonAsync()).EnumerateArray().ToList();
    }

    /// <summary>
    /// The receiver's check from docs/webhooks.md, written independently of the ledger's signing code:
    /// HMAC-SHA256 keyed with the secret over "t.body", compared in constant time, timestamp within tolerance.
    /// </summary>
    public static bool Verify(string secret, string signatureHeader, byte[] body, DateTimeOffset now, TimeSpan tolerance)
    {
        var fields = signatureHeader.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToLookup(p => p[0], p => p[1]);
        if (!long.TryParse(fields["t"].FirstOrDefault(), out var t) || Math.Abs(now.ToUnixTimeSeconds() - t) > tolerance.TotalSeconds)
            return false;
        byte[] signed = [.. Encoding.UTF8.GetBytes($"{t}."), .. body];
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        return fields["v1"].Any(v => v.Length == 64 && v.All(Uri.IsHexDigit) &&
            CryptographicOperations.FixedTimeEquals(Convert.FromHexString(v), expected));
    }
}

/// <summary>Endpoints a test creates, removed when it ends so they receive nothing from later tests.</summary>
public sealed class Endpoints(LedgerFixture ledger) : IAsyncDisposable
{
    private readonly List<string> _ids = [];

    /// <summary>PUT asserting 201; returns the endpoint id and its secret (generated, unless given).</summary>
    public async Task<(string Id, string Secret)> CreateAsync(string url, string? customer = null, string[]? types = null, string? secret = null)
    {
        var id = WebhookProbes.NewEndpointId();
        var body = new JsonObject { ["url"] = url, ["customer"] = customer, ["types"] = types is null ? null : new JsonArray(types.Select(t => (JsonNode)t).ToArray()) };
        if (secret is not null) body["secret"] = secret;
        var response = await ledger.PutWebhookAsync(id, body.ToJsonString());
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"creating webhook {id} answered {(int)response.StatusCode}: {text}");
        _ids.Add(id);
        return (id, secret ?? JsonDocument.Parse(text).RootElement.GetProperty("secret").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var id in _ids) await ledger.Client.DeleteAsync($"/v1/webhooks/{id}");
    }
}
