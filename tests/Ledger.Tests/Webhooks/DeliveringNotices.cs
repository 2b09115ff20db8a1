using System.Net;
using System.Text;
using System.Text.Json;
using Ledger.Tests.Support;
using Ledger.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wolverine.Configuration;
using Wolverine.Runtime;
using Wolverine.Tracking;
using static Ledger.Tests.Support.LedgerProbes;
using static Ledger.Tests.Webhooks.WebhookProbes;

namespace Ledger.Tests.Webhooks;

/// <summary>
/// Notices published on the host's bus, delivered over real HTTP to a real receiver. The fixture's retry
/// schedule is 0.2 s, 0.5 s, then failed; its answer timeout is 1 s.
/// </summary>
[Collection(LedgerCollection.Name)]
public sealed class when_a_notice_is_published(LedgerFixture ledger)
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task a_notice_is_delivered_signed_and_the_signature_verifies()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var endpoints = new Endpoints(ledger);
        var customer = NewCustomer();
        var (endpoint, secret) = await endpoints.CreateAsync(receiver.Url("/hooks/ledger"), customer);
        var notice = Notice("budget.threshold_crossed", customer, data: """{"threshold":0.8,"spent":"80.00","budget":"100.00"}""");

        await ledger.PublishAsync(notice);

        var request = Assert.Single(await receiver.WaitForAsync(1));
        var deliveryId = DeliveryId(notice, endpoint);
        Assert.Equal("/hooks/ledger", request.Path);
        Assert.Equal("application/json", request.Headers["Content-Type"]);
        Assert.Equal(deliveryId, request.Headers["Ledger-Webhook-Id"]);
        var now = ledger.Clock.GetCurrentInstant().ToDateTimeOffset();
        Assert.Matches("^t=[0-9]+,v1=[0-9a-f]{64}$", request.Headers["Ledger-Signature"]);
        Assert.True(Verify(secret, request.Headers["Ledger-Signature"], request.Body, now, Tolerance), "the signature does not verify");
        Assert.False(Verify(secret, request.Headers["Ledger-Signature"], [.. request.Body, (byte)' '], now, Tolerance), "a changed body verifies");
        Assert.False(Verify(secret + "x", request.Headers["Ledger-Signature"], request.Body, now, Tolerance), "another secret verifies");
        Assert.False(Verify(secret, request.Headers["Ledger-Signature"], request.Body, now.AddMinutes(10), Tolerance), "an old request verifies");

        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal(["id", "type", "customer", "occurred_at", "data"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(deliveryId, body.GetProperty("id").GetString());
        Assert.Equal("budget.threshold_crossed", body.GetProperty("type").GetString());
        Assert.Equal(customer, body.GetProperty("customer").GetString());
        Assert.Equal("2026-03-14T15:09:26.535Z", body.GetProperty("occurred_at").GetString());
        Assert.Equal("80.00", body.GetProperty("data").GetProperty("spent").GetString());
        Assert.Equal(0.8m, body.GetProperty("data").GetProperty("threshold").GetDecimal());

        var delivery = await ledger.DeliveryAsync(deliveryId, "delivered");
        var attempt = Assert.Single(delivery.GetProperty("attempts").EnumerateArray());
        Assert.Equal(200, attempt.GetProperty("status_code").GetInt32());
        Assert.False(delivery.TryGetProperty("next_attempt_at", out _));
        Assert.Equal(endpoint, delivery.GetProperty("endpoint").GetString());
        Assert.Equal(notice.NoticeId, delivery.GetProperty("notice_id").GetString());
    }

    [Fact]
    public async Task a_failing_receiver_is_retried_with_back_off_and_every_attempt_is_visible()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.FailNext = 2;
        await using var endpoints = new Endpoints(ledger);
        var customer = NewCustomer();
        var (endpoint, _) = await endpoints.CreateAsync(receiver.Url(), customer);
        var notice = Notice("budget.threshold_crossed", customer);

        await ledger.PublishAsync(notice);

        var delivery = await ledger.DeliveryAsync(DeliveryId(notice, endpoint), "delivered", attempts: 3);
        var attempts = delivery.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal([500, 500, 200], attempts.Select(a => a.GetProperty("status_code").GetInt32()));
        Assert.Contains("500", attempts[0].GetProperty("error").GetString());
        Assert.False(attempts[2].TryGetProperty("error", out _));
        Assert.All(attempts, a => Assert.True(a.GetProperty("duration_ms").GetInt64() >= 0));

        var requests = receiver.Requests;
        Assert.Equal(3, requests.Count);
        Assert.Single(requests.Select(r => r.Headers["Ledger-Webhook-Id"]).Distinct());
        Assert.Single(requests.Select(r => Encoding.UTF8.GetString(r.Body)).Distinct());
        Assert.Equal(["1", "2", "3"], requests.Select(r => r.Headers["Ledger-Webhook-Attempt"]));
        // the configured back-off: at least 0.2 s before the second attempt, 0.5 s before the third
        Assert.True(requests[1].ReceivedAt - requests[0].ReceivedAt >= TimeSpan.FromMilliseconds(190), $"{requests[1].ReceivedAt - requests[0].ReceivedAt}");
        Assert.True(requests[2].ReceivedAt - requests[1].ReceivedAt >= TimeSpan.FromMilliseconds(490), $"{requests[2].ReceivedAt - requests[1].ReceivedAt}");
    }

    [Fact]
    public async Task a_receiver_that_never_answers_2xx_ends_failed_after_the_schedule_and_a_manual_retry_resends_it()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.AlwaysFail = true;
        await using var endpoints = new Endpoints(ledger);
        var customer = NewCustomer();
        var (endpoint, _) = await endpoints.CreateAsync(receiver.Url(), customer);
        var notice = Notice("budget.threshold_crossed", customer);

        await ledger.PublishAsync(notice);

        var id = DeliveryId(notice, endpoint);
        var failed = await ledger.DeliveryAsync(id, "failed", attempts: 3);
        Assert.Equal(3, failed.GetProperty("attempts").GetArrayLength()); // first try + the two configured retries
        Assert.False(failed.TryGetProperty("next_attempt_at", out _));
        Assert.Equal(3, receiver.Requests.Count);
        Assert.Single(await ledger.DeliveriesAsync($"customer={customer}&status=failed"));
        Assert.Empty(await ledger.DeliveriesAsync($"customer={customer}&status=pending"));

        receiver.AlwaysFail = false;
        var retry = await ledger.Client.PostAsync($"/v1/webhooks/deliveries/{id}/retry", null);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        var delivered = await ledger.DeliveryAsync(id, "delivered", attempts: 4);
        Assert.Equal(200, delivered.GetProperty("attempts")[3].GetProperty("status_code").GetInt32());
        await AssertProblemAsync(await ledger.Client.PostAsync($"/v1/webhooks/deliveries/{id}/retry", null), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task a_receiver_that_does_not_answer_within_the_timeout_is_a_failed_attempt()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.HangNext = 1;
        await using var endpoints = new Endpoints(ledger);
        var customer = NewCustomer();
        var (endpoint, _) = await endpoints.CreateAsync(receiver.Url(), customer);
        var notice = Notice("budget.threshold_crossed", customer);

        await ledger.PublishAsync(notice);

        var delivery = await ledger.DeliveryAsync(DeliveryId(notice, endpoint), "delivered", attempts: 2);
        var first = delivery.GetProperty("attempts")[0];
        Assert.False(first.TryGetProperty("status_code", out _));
        Assert.Contains("No answer within 1 s", first.GetProperty("error").GetString());
        Assert.InRange(first.GetProperty("duration_ms").GetInt64(), 900, 2900);
    }

    [Fact]
    public async Task a_refused_connection_is_a_failed_attempt_that_names_the_error()
    {
        var receiver = await Receiver.StartAsync();
        var url = receiver.Url();
        await receiver.DisposeAsync(); // nothing listens on that port any more
        await using var endpoints = new Endpoints(ledger);
        var customer = NewCustomer();
        var (endpoint, _) = await endpoints.CreateAsync(url, customer);
        var notice = Notice("budget.threshold_crossed", customer);

        await ledger.PublishAsync(notice);

        var delivery = await ledger.DeliveryAsync(DeliveryId(notice, endpoint), "failed", attempts: 3);
        Assert.All(delivery.GetProperty("attempts").EnumerateArray(), a =>
        {
            Assert.False(a.TryGetProperty("status_code", out _));
            Assert.Contains("ConnectionError", a.GetProperty("error").GetString());
        });
    }

    [Fact]
    public async Task a_duplicate_notice_is_delivered_once()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var endpoints = new Endpoints(ledger);
        var customer = NewCustomer();
        var (endpoint, _) = await endpoints.CreateAsync(receiver.Url(), customer);
        var notice = Notice("budget.threshold_crossed", customer);
        var host = ledger.Factory.Services.GetRequiredService<IHost>();

        // five copies at once (racing on the same delivery id), then one more after the first was delivered
        var racing = await host.TrackActivity().Timeout(TimeSpan.FromSeconds(30)).DoNotAssertOnExceptionsDetected()
            .ExecuteAndWaitAsync(bus => Task.WhenAll(Enumerable.Range(0, 5).Select(_ => bus.PublishAsync(notice).AsTask())));
        await ledger.DeliveryAsync(DeliveryId(notice, endpoint), "delivered");
        var late = await host.TrackActivity().Timeout(TimeSpan.FromSeconds(30))
            .ExecuteAndWaitAsync(bus => bus.PublishAsync(notice).AsTask());

        Assert.Single(racing.Sent.MessagesOf<WebhookDelivery>());
        Assert.Empty(late.Sent.MessagesOf<WebhookDelivery>());
        Assert.Single(receiver.Requests);
        Assert.Single(await ledger.DeliveriesAsync($"customer={customer}"));
    }

    [Fact]
    public async Task a_customer_endpoint_gets_only_its_customers_notices()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var endpoints = new Endpoints(ledger);
        string customer = NewCustomer(), other = NewCustomer(), type = NewType();
        var (mine, _) = await endpoints.CreateAsync(receiver.Url("/mine"), customer);
        var (theirs, _) = await endpoints.CreateAsync(receiver.Url("/theirs"), other);
        var (global, _) = await endpoints.CreateAsync(receiver.Url("/global"), types: [type]);
        var forCustomer = Notice(type, customer);
        var forNoOne = Notice(type, null);

        await ledger.PublishAsync(forCustomer);
        await ledger.PublishAsync(forNoOne);

        // each notice fans out in one transaction: once one of its deliveries exists, all of them do
        await ledger.DeliveryAsync(DeliveryId(forCustomer, mine), "delivered");
        await ledger.DeliveryAsync(DeliveryId(forCustomer, global), "delivered");
        var noOnes = await ledger.DeliveryAsync(DeliveryId(forNoOne, global), "delivered");
        Assert.False(noOnes.TryGetProperty("customer", out _));
        Assert.Empty(await ledger.DeliveriesAsync($"endpoint={theirs}"));
        Assert.Single(await ledger.DeliveriesAsync($"endpoint={mine}"));
        var toNoOne = Assert.Single(receiver.Requests, r => r.Headers["Ledger-Webhook-Id"] == DeliveryId(forNoOne, global));
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(toNoOne.Body).RootElement.GetProperty("customer").ValueKind);
    }

    [Fact]
    public async Task type_filters_are_respected()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var endpoints = new Endpoints(ledger);
        string customer = NewCustomer(), wanted = NewType(), unwanted = NewType();
        var (filtered, _) = await endpoints.CreateAsync(receiver.Url("/filtered"), customer, [wanted]);
        var (witness, _) = await endpoints.CreateAsync(receiver.Url("/witness"), customer, [unwanted]);
        var (all, _) = await endpoints.CreateAsync(receiver.Url("/all"), customer);
        var notice = Notice(unwanted, customer);

        await ledger.PublishAsync(notice);
        await ledger.PublishAsync(Notice(wanted, customer));

        await ledger.DeliveryAsync(DeliveryId(notice, witness), "delivered");
        await ledger.DeliveryAsync(DeliveryId(notice, all), "delivered");
        var delivered = await ledger.DeliveriesAsync($"endpoint={filtered}");
        Assert.DoesNotContain(delivered, d => d.GetProperty("type").GetString() == unwanted);
        await receiver.WaitForAsync(4);
        Assert.Equal([wanted], receiver.Requests.Where(r => r.Path == "/filtered")
            .Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task removing_an_endpoint_stops_its_pending_deliveries()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.HangNext = 1; // the first attempt is still waiting for its answer when the endpoint is removed
        receiver.AlwaysFail = true;
        await using var endpoints = new Endpoints(ledger);
        var customer = NewCustomer();
        var (endpoint, _) = await endpoints.CreateAsync(receiver.Url("/removed"), customer);
        var (witness, _) = await endpoints.CreateAsync(receiver.Url("/witness"), customer, ["budget.witnessed"]);
        var notice = Notice("budget.threshold_crossed", customer);
        await ledger.PublishAsync(notice);
        await receiver.WaitForAsync(1);

        Assert.Equal(HttpStatusCode.NoContent, (await ledger.Client.DeleteAsync($"/v1/webhooks/{endpoint}")).StatusCode);

        var stopped = await ledger.DeliveryAsync(DeliveryId(notice, endpoint), "failed");
        Assert.Single(stopped.GetProperty("attempts").EnumerateArray());
        Assert.Contains("removed", stopped.GetProperty("stopped_reason").GetString());
        await AssertProblemAsync(await ledger.Client.PostAsync($"/v1/webhooks/deliveries/{DeliveryId(notice, endpoint)}/retry", null), HttpStatusCode.Conflict);

        // a later notice for the customer reaches the witness (so it was fanned out) but not the removed endpoint
        var later = Notice("budget.witnessed", customer);
        receiver.AlwaysFail = false;
        await ledger.PublishAsync(later);
        await ledger.DeliveryAsync(DeliveryId(later, witness), "delivered");
        Assert.Single(await ledger.DeliveriesAsync($"endpoint={endpoint}"));
        Assert.Single(receiver.Requests, r => r.Path == "/removed");
    }

    [Fact]
    public void notices_and_attempts_travel_through_durable_queues()
    {
        var runtime = ledger.Factory.Services.GetRequiredService<IWolverineRuntime>();
        foreach (var queue in new[] { WebhookConfiguration.NoticeQueue, WebhookConfiguration.DeliveryQueue })
            Assert.Equal(EndpointMode.Durable, runtime.Endpoints.EndpointFor(new Uri($"local://{queue}"))!.Mode);
    }
}
