using System.Text;
using System.Text.Json;
using Ledger.Webhooks;
using Microsoft.Extensions.Configuration;
using NodaTime;

namespace Ledger.Tests.Webhooks;

/// <summary>The retry schedule, attempt bookkeeping, body and signature, without a host.</summary>
public sealed class webhook_delivery_rules
{
    private static readonly Instant At = Instant.FromUtc(2026, 1, 1, 12, 0);

    private static WebhookSettings Settings(string? delays = null, string? timeout = null) =>
        WebhookSettings.From(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ledger:Webhooks:RetryDelays"] = delays, ["Ledger:Webhooks:Timeout"] = timeout
        }).Build());

    private static WebhookDeliveryRecord Pending() =>
        WebhookDeliveryRecord.Create("whd_1", "ep", new WebhookNotice("budget.threshold_crossed", "cust-1", "n-1",
            JsonDocument.Parse("""{"spent":"80.00"}""").RootElement, At), At);

    [Fact]
    public void the_default_schedule_is_ten_seconds_to_twelve_hours_then_nothing()
    {
        var settings = Settings();
        Assert.Equal(["00:00:10", "00:01:00", "00:05:00", "00:30:00", "02:00:00", "06:00:00", "12:00:00"],
            Enumerable.Range(1, 7).Select(a => settings.DelayAfter(a)!.Value.ToString()));
        Assert.Null(settings.DelayAfter(8));
        Assert.Equal(TimeSpan.FromSeconds(10), settings.Timeout);
    }

    [Fact]
    public void the_schedule_and_timeout_come_from_configuration()
    {
        var settings = Settings(" 00:00:00.2, 00:00:00.5 ", "00:00:03");
        Assert.Equal([TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500)], settings.RetryDelays);
        Assert.Null(settings.DelayAfter(3));
        Assert.Equal(TimeSpan.FromSeconds(3), settings.Timeout);
    }

    [Theory]
    [InlineData("soon", null, "RetryDelays")]
    [InlineData("00:00:10,-00:00:01", null, "RetryDelays")]
    [InlineData(null, "0", "Timeout")]
    public void a_bad_setting_stops_start_up_naming_the_key(string? delays, string? timeout, string key)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Settings(delays, timeout));
        Assert.Contains($"Ledger:Webhooks:{key}", error.Message);
    }

    [Fact]
    public void a_failed_attempt_with_a_retry_left_stays_pending_until_the_next_attempt()
    {
        var delivery = Pending();
        var wait = delivery.Record(new DeliveryAttempt(At, 503, "503", 12), TimeSpan.FromMinutes(1));

        Assert.Equal(TimeSpan.FromMinutes(1), wait);
        Assert.Equal(DeliveryStatus.Pending, delivery.Status);
        Assert.Equal(At + Duration.FromMinutes(1), delivery.NextAttemptAt);
    }

    [Fact]
    public void a_failed_attempt_without_a_retry_left_fails_the_delivery()
    {
        var delivery = Pending();
        Assert.Null(delivery.Record(new DeliveryAttempt(At, null, "ConnectionError", 3), null));
        Assert.Equal(DeliveryStatus.Failed, delivery.Status);
        Assert.Null(delivery.NextAttemptAt);
    }

    [Theory]
    [InlineData(200, DeliveryStatus.Delivered)]
    [InlineData(204, DeliveryStatus.Delivered)]
    [InlineData(299, DeliveryStatus.Delivered)]
    [InlineData(301, DeliveryStatus.Pending)]
    [InlineData(410, DeliveryStatus.Pending)]
    public void only_a_2xx_answer_delivers(int status, DeliveryStatus expected)
    {
        var delivery = Pending();
        delivery.Record(new DeliveryAttempt(At, status, null, 5), TimeSpan.FromSeconds(10));
        Assert.Equal(expected, delivery.Status);
        Assert.Single(delivery.Attempts);
    }

    [Fact]
    public void the_signature_is_hmac_sha256_of_timestamp_dot_body_in_lowercase_hex()
    {
        // expected value computed independently (Python: hmac.new(b"whsec_test", b'1700000000.{"a":1}', sha256))
        Assert.Equal("t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789",
            WebhookSignature.Header("whsec_test", 1700000000, """{"a":1}"""u8));
    }

    [Fact]
    public void generated_secrets_are_whsec_and_32_random_bytes()
    {
        var secrets = Enumerable.Range(0, 20).Select(_ => WebhookSignature.NewSecret()).ToList();
        Assert.All(secrets, s => Assert.Equal(32, System.Buffers.Text.Base64Url.DecodeFromChars(s.AsSpan("whsec_".Length)).Length));
        Assert.Equal(20, secrets.Distinct().Count());
    }

    [Fact]
    public void the_body_has_exactly_the_documented_fields()
    {
        Assert.Equal("""{"id":"whd_1","type":"budget.threshold_crossed","customer":"cust-1","occurred_at":"2026-01-01T12:00:00Z","data":{"spent":"80.00"}}""",
            Encoding.UTF8.GetString(WebhookSignature.Body(Pending())));
    }

    [Fact]
    public void the_delivery_id_is_deterministic_per_notice_and_endpoint()
    {
        Assert.Equal(WebhookNoticeHandler.DeliveryId("n-1", "a"), WebhookNoticeHandler.DeliveryId("n-1", "a"));
        Assert.NotEqual(WebhookNoticeHandler.DeliveryId("n-1", "a"), WebhookNoticeHandler.DeliveryId("n-1", "b"));
        Assert.NotEqual(WebhookNoticeHandler.DeliveryId("n-1", "a"), WebhookNoticeHandler.DeliveryId("n-2", "a"));
        Assert.Matches("^whd_[0-9a-f]{32}$", WebhookNoticeHandler.DeliveryId("n-1", "a"));
    }
}
