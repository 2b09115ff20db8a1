using System.Text.Json;
using Ledger.Credits;
using Ledger.Kernel;
using Ledger.Tests.Support;
using Ledger.Tests.Webhooks;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Ledger.Tests.Credits;

/// <summary>
/// The credit facts the rating projection records reach the customer's webhook endpoint. The facts are
/// appended here directly, as the projection will (one stream per fact), so the relay is tested on its own.
/// </summary>
[Collection(LedgerCollection.Name)]
public sealed class when_a_credit_fact_is_recorded(LedgerFixture ledger)
{
    private static readonly Instant At = Instant.FromUtc(2026, 11, 20, 12, 0);

    [Fact]
    public async Task each_credit_fact_is_delivered_once_as_its_webhook()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var endpoints = new Endpoints(ledger);
        var customer = LedgerProbes.NewCustomer();
        await endpoints.CreateAsync(receiver.Url(), customer,
            [CreditAlerts.Exhausted, CreditAlerts.LowBalance, CreditAlerts.Expired, CreditAlerts.OverageCovered]);
        Money Usd(decimal amount) => new(amount, "USD");

        await RecordAsync(CreditsExhausted.StreamKey(customer, 41), new CreditsExhausted(customer, CreditPolicy.Block, Usd(0.0000025m), 41, At));
        await RecordAsync(LowCreditBalance.StreamKey(customer, "inv-1", "amount-10"),
            new LowCreditBalance(customer, "amount-10", Usd(10m), Usd(9.5m), "inv-1", 40, At));
        await RecordAsync(CreditBreakageRecorded.StreamKey(customer, "promo"), new CreditBreakageRecorded(customer, "promo", Usd(3.5m), At, 42));
        await RecordAsync(AccruedOverageCovered.StreamKey(customer, "inv-2"),
            new AccruedOverageCovered(customer, "inv-2", Usd(1.25m), 2, 38, 39, 43, At));

        var received = await receiver.WaitForAsync(4);
        await Task.Delay(1000); // room for a wrong fifth delivery
        Assert.Equal(4, receiver.Requests.Count);
        var byType = received.Select(r => JsonDocument.Parse(r.Body).RootElement).ToDictionary(b => b.GetProperty("type").GetString()!, b => b.GetProperty("data"));

        var exhausted = byType[CreditAlerts.Exhausted];
        Assert.Equal(customer, exhausted.GetProperty("customer").GetString());
        Assert.Equal("block", exhausted.GetProperty("policy").GetString());
        Assert.Equal("0.0000025", exhausted.GetProperty("uncovered").GetString());
        Assert.Equal("USD", exhausted.GetProperty("currency").GetString());
        Assert.Equal(41, exhausted.GetProperty("usage_sequence").GetInt64());
        Assert.True(exhausted.GetProperty("ledger_sequence").GetInt64() > 0);

        var low = byType[CreditAlerts.LowBalance];
        Assert.Equal("10.00", low.GetProperty("threshold").GetString());
        Assert.Equal("9.50", low.GetProperty("remaining").GetString());
        Assert.Equal("inv-1", low.GetProperty("last_top_up").GetString());

        var expired = byType[CreditAlerts.Expired];
        Assert.Equal("promo", expired.GetProperty("grant").GetString());
        Assert.Equal("3.50", expired.GetProperty("expired").GetString());

        var covered = byType[CreditAlerts.OverageCovered];
        Assert.Equal("inv-2", covered.GetProperty("grant").GetString());
        Assert.Equal("1.25", covered.GetProperty("covered").GetString());
        Assert.Equal((2, 38L, 39L), (covered.GetProperty("usage_events").GetInt32(), covered.GetProperty("first_usage").GetInt64(), covered.GetProperty("last_usage").GetInt64()));
    }

    private async Task RecordAsync<T>(string streamKey, T fact) where T : notnull
    {
        await using var session = ledger.Factory.Services.GetRequiredService<IDocumentStore>().LightweightSession();
        session.Events.StartStream(streamKey, fact);
        await session.SaveChangesAsync();
    }
}
