using System.Net;
using System.Text.Json;
using Ledger.Credits;
using Ledger.Tests.Support;
using Ledger.Tests.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Text;
using Wolverine;
using static Ledger.Tests.Credits.CreditProbes;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Credits;

/// <summary>Expiry and expiry notices run as durable scheduled messages, at expires_at (real time; the tests poll every 0.5 s).</summary>
[Collection(LedgerCollection.Name)]
public sealed class when_a_grant_reaches_its_expiry(LedgerFixture ledger)
{
    private string Effective => ledger.Clock.GetCurrentInstant().Minus(Duration.FromMinutes(1)).ToString();

    [Fact]
    public async Task credits_expire_on_schedule()
    {
        var customer = await ledger.Client.NewCustomerAsync();
        var expiresAt = InRealTime(TimeSpan.FromSeconds(2));
        var created = await ledger.Client.GrantAsync(customer,
            $$"""{"amount":"50.00","kind":"promotional","reference":"promo","effective_at":"{{Effective}}","expires_at":"{{expiresAt}}","expiry_notices":[]}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("active", (await ledger.Client.CreditsAsync(customer)).GetProperty("grants")[0].GetProperty("status").GetString());

        await ledger.Client.GrantWhenAsync(customer, "promo", "expired");

        Assert.Equal(["credit_granted", "credit_grant_expired"], await StreamEventsAsync(ledger.Database, GrantStream(customer, "promo")));
        Assert.True(DateTimeOffset.UtcNow >= DateTimeOffset.Parse(expiresAt), "expired before its expires_at");
        await AssertProblemAsync(await ledger.Client.VoidAsync(customer, "promo"), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task credits_expire_with_notice_and_breakage()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var endpoints = new Endpoints(ledger);
        var s = new CreditScenario(ledger);
        await s.StartAsync();
        await endpoints.CreateAsync(receiver.Url(), s.Customer, [CreditExpiry.WebhookType, CreditAlerts.Expired]);
        var expiresAt = InRealTime(TimeSpan.FromSeconds(6));
        await ledger.Client.GrantAsync(s.Customer,
            $$"""{"amount":"10.00","kind":"purchased","reference":"prepaid","effective_at":"{{Effective}}","expires_at":"{{expiresAt}}","expiry_notices":["PT3S"]}""");
        await s.UseAsync(4);
        await s.BalanceAsync(); // drawn before the notice falls due (3 s from now), also on a loaded machine

        // Both are scheduled by time; on a stalled machine both fall due at once and may be delivered in either order.
        var received = (await receiver.WaitForAsync(2)).Select(r => JsonDocument.Parse(r.Body).RootElement)
            .OrderBy(r => r.GetProperty("type").GetString() == CreditAlerts.Expired).ToList();
        Assert.Equal([CreditExpiry.WebhookType, CreditAlerts.Expired], received.Select(r => r.GetProperty("type").GetString()));
        Assert.Equal("6.00", received[0].GetProperty("data").GetProperty("remaining").GetString());
        var breakage = received[1].GetProperty("data");
        Assert.Equal(("prepaid", "6.00", "USD"), (breakage.GetProperty("grant").GetString(), breakage.GetProperty("expired").GetString(), breakage.GetProperty("currency").GetString()));

        var grant = (await ledger.Client.CreditsAsync(s.Customer)).GetProperty("grants")[0];
        Assert.Equal(("expired", "4.00", "6.00", "0.00"), (grant.GetProperty("status").GetString(), grant.GetProperty("drawn").GetString(),
            grant.GetProperty("expired").GetString(), grant.GetProperty("remaining").GetString()));
        await s.UseAsync(2); // after expiry the grant pays nothing more
        var balance = await s.BalanceAsync();
        Assert.Equal(("0.00", "2.00"), (balance.GetProperty("credits_remaining").GetString(), balance.GetProperty("overage_accrued").GetString()));
    }

    [Fact]
    public async Task a_voided_grant_does_not_expire_and_a_repeated_expiry_changes_nothing()
    {
        var customer = await ledger.Client.NewCustomerAsync();
        await ledger.Client.GrantAsync(customer,
            $$"""{"amount":"50.00","kind":"promotional","reference":"promo","effective_at":"{{Effective}}","expires_at":"{{InRealTime(TimeSpan.FromSeconds(1))}}","expiry_notices":[]}""");
        Assert.Equal(HttpStatusCode.OK, (await ledger.Client.VoidAsync(customer, "promo")).StatusCode);
        await Task.Delay(2500); // past expires_at and a poll

        var expiresAt = (await ledger.Client.CreditsAsync(customer)).GetProperty("grants")[0].GetProperty("expires_at").GetString()!;
        await InvokeAsync(new ExpireCreditGrant(customer, "promo", InstantPattern.ExtendedIso.Parse(expiresAt).Value));
        Assert.Equal(["credit_granted", "credit_grant_voided"], await StreamEventsAsync(ledger.Database, GrantStream(customer, "promo")));
    }

    [Fact]
    public async Task an_expiry_scheduled_for_other_terms_changes_nothing()
    {
        // What a request that lost the race to record the same reference with another expires_at may have scheduled
        var customer = await ledger.Client.NewCustomerAsync();
        await ledger.Client.GrantAsync(customer, """{"amount":"5.00","kind":"promotional","reference":"r","expires_at":"2099-01-01T00:00:00Z","expiry_notices":[]}""");

        await InvokeAsync(new ExpireCreditGrant(customer, "r", Instant.FromUtc(2030, 1, 1, 0, 0)));

        Assert.Equal(["credit_granted"], await StreamEventsAsync(ledger.Database, GrantStream(customer, "r")));
    }

    [Fact]
    public async Task expiry_notices_are_sent_once_each()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var endpoints = new Endpoints(ledger);
        var customer = await ledger.Client.NewCustomerAsync();
        await endpoints.CreateAsync(receiver.Url(), customer, [CreditExpiry.WebhookType]);
        var expiresAt = InRealTime(TimeSpan.FromSeconds(4));
        // Notices 3 s and 2 s before: due 1 s and 2 s from now. The one 1 h before is already past and is not sent.
        await ledger.Client.GrantAsync(customer,
            $$"""{"amount":"80.00","kind":"purchased","reference":"inv-7","effective_at":"{{Effective}}","expires_at":"{{expiresAt}}","expiry_notices":["PT3S","PT2S","PT1H"]}""");

        var received = await receiver.WaitForAsync(2);
        // Handling a notice again (a redelivery) records and sends nothing more
        await InvokeAsync(new SendCreditExpiryNotice(customer, "inv-7", Duration.FromSeconds(3), Instant.FromDateTimeOffset(DateTimeOffset.Parse(expiresAt))));
        await ledger.Client.GrantWhenAsync(customer, "inv-7", "expired");
        await Task.Delay(1000);

        Assert.Equal(2, receiver.Requests.Count);
        var data = received.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.All(data, d => Assert.Equal(CreditExpiry.WebhookType, d.GetProperty("type").GetString()));
        Assert.Equal(["PT2S", "PT3S"], data.Select(d => d.GetProperty("data").GetProperty("before").GetString()).Order());
        var first = data[0].GetProperty("data");
        Assert.Equal(customer, first.GetProperty("customer").GetString());
        Assert.Equal("inv-7", first.GetProperty("grant").GetString());
        Assert.Equal("80.00", first.GetProperty("remaining").GetString());
        Assert.Equal("USD", first.GetProperty("currency").GetString());
        Assert.Equal(Instant.FromDateTimeOffset(DateTimeOffset.Parse(expiresAt)), Instant.FromDateTimeOffset(DateTimeOffset.Parse(first.GetProperty("expires_at").GetString()!)));
        Assert.Equal(["credit_expiry_notice_sent"], await StreamEventsAsync(ledger.Database, CreditExpiryNoticeSent.StreamKey(customer, "inv-7", Duration.FromSeconds(3))));
    }

    [Fact]
    public async Task no_notice_is_sent_for_a_voided_grant()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var endpoints = new Endpoints(ledger);
        var customer = await ledger.Client.NewCustomerAsync();
        await endpoints.CreateAsync(receiver.Url(), customer, [CreditExpiry.WebhookType]);
        await ledger.Client.GrantAsync(customer,
            $$"""{"amount":"80.00","kind":"purchased","reference":"inv-8","effective_at":"{{Effective}}","expires_at":"{{InRealTime(TimeSpan.FromSeconds(2))}}","expiry_notices":["PT1S"]}""");
        await ledger.Client.VoidAsync(customer, "inv-8");

        await Task.Delay(2500);
        Assert.Empty(receiver.Requests);
        Assert.Empty(await StreamEventsAsync(ledger.Database, CreditExpiryNoticeSent.StreamKey(customer, "inv-8", Duration.FromSeconds(1))));
    }

    private async Task InvokeAsync(object message)
    {
        using var scope = ledger.Factory.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync(message);
    }
}
