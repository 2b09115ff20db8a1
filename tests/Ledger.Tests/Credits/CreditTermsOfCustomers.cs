using System.Net;
using System.Text;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Credits;

[Collection(LedgerCollection.Name)]
public sealed class when_customer_credit_terms_are_put(LedgerFixture ledger)
{
    private Task<HttpResponseMessage> Put(string customer, string json) =>
        ledger.Client.PutAsync($"/v1/customers/{Uri.EscapeDataString(customer)}", new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task a_customer_without_credit_terms_has_overage_and_no_alerts()
    {
        var customer = NewCustomer();
        var view = await (await Put(customer, "{}")).JsonAsync();

        var credits = view.GetProperty("credits");
        Assert.Equal("overage", credits.GetProperty("policy").GetString());
        Assert.Equal(0, credits.GetProperty("low_balance_alerts").GetArrayLength());
    }

    [Fact]
    public async Task credit_terms_are_kept_and_a_put_without_them_keeps_them()
    {
        var customer = NewCustomer();
        await Put(customer, """{"credits":{"policy":"block","low_balance_alerts":[{"amount":"10"},{"fraction_of_last_top_up":"0.25"}]}}""");
        var view = await (await Put(customer, """{"price_book":"other"}""")).JsonAsync();

        var credits = view.GetProperty("credits");
        Assert.Equal("block", credits.GetProperty("policy").GetString());
        var alerts = credits.GetProperty("low_balance_alerts").EnumerateArray().ToList();
        Assert.Equal("10.00", alerts[0].GetProperty("amount").GetString());
        Assert.False(alerts[0].TryGetProperty("fraction_of_last_top_up", out _));
        Assert.Equal("0.25", alerts[1].GetProperty("fraction_of_last_top_up").GetString());
        Assert.False(alerts[1].TryGetProperty("amount", out _));
    }

    [Fact]
    public async Task the_same_credit_terms_again_record_nothing_and_other_terms_record_a_change()
    {
        var customer = NewCustomer();
        await Put(customer, """{"credits":{"policy":"block","low_balance_alerts":[{"amount":"10.00"}]}}""");
        Assert.Equal(HttpStatusCode.OK, (await Put(customer, """{"credits":{"policy":"block","low_balance_alerts":[{"amount":"10"}]}}""")).StatusCode);
        Assert.Single(await CreditProbes.StreamEventsAsync(ledger.Database, $"customer/{customer}"));

        var changed = await (await Put(customer, """{"credits":{"policy":"overage"}}""")).JsonAsync();
        Assert.Equal(2, (await CreditProbes.StreamEventsAsync(ledger.Database, $"customer/{customer}")).Count);
        Assert.Equal("overage", changed.GetProperty("credits").GetProperty("policy").GetString());
        Assert.Equal("10.00", changed.GetProperty("credits").GetProperty("low_balance_alerts")[0].GetProperty("amount").GetString());
    }

    [Theory]
    [InlineData("""{"credits":{"policy":"never"}}""", "credits.policy")]
    [InlineData("""{"credits":{"low_balance_alerts":[{"amount":"10.00"},{}]}}""", "credits.low_balance_alerts[1]")]
    [InlineData("""{"credits":{"low_balance_alerts":[{"amount":"10.00","fraction_of_last_top_up":"0.5"}]}}""", "credits.low_balance_alerts[0]")]
    [InlineData("""{"credits":{"low_balance_alerts":[{"amount":"5.00"},{"amount":"0"}]}}""", "credits.low_balance_alerts[1].amount")]
    [InlineData("""{"credits":{"low_balance_alerts":[{"amount":"-1"}]}}""", "credits.low_balance_alerts[0].amount")]
    [InlineData("""{"credits":{"low_balance_alerts":[{"amount":"10.001"}]}}""", "credits.low_balance_alerts[0].amount")]
    [InlineData("""{"credits":{"low_balance_alerts":[{"amount":10}]}}""", "credits.low_balance_alerts[0].amount")]
    [InlineData("""{"currency":"JPY","credits":{"low_balance_alerts":[{"amount":"100.5"}]}}""", "credits.low_balance_alerts[0].amount")]
    [InlineData("""{"credits":{"low_balance_alerts":[{"fraction_of_last_top_up":"0"}]}}""", "credits.low_balance_alerts[0].fraction_of_last_top_up")]
    [InlineData("""{"credits":{"low_balance_alerts":[{"fraction_of_last_top_up":"1.5"}]}}""", "credits.low_balance_alerts[0].fraction_of_last_top_up")]
    [InlineData("""{"credits":{"low_balance_alerts":[{"amount":"10"},{"amount":"10.00"}]}}""", "credits.low_balance_alerts[1]")]
    [InlineData("""{"credits":{"low_balance_alerts":[{"fraction_of_last_top_up":"0.5"},{"fraction_of_last_top_up":"0.50"}]}}""", "credits.low_balance_alerts[1]")]
    public async Task invalid_credit_terms_are_a_400_naming_the_field_and_nothing_is_recorded(string json, string field)
    {
        var customer = NewCustomer();
        await AssertProblemAsync(await Put(customer, json), HttpStatusCode.BadRequest, field);
        Assert.Equal(HttpStatusCode.NotFound, (await ledger.Client.GetAsync($"/v1/customers/{customer}")).StatusCode);
    }

    [Fact]
    public async Task a_fraction_of_one_and_a_whole_yen_amount_are_valid()
    {
        var view = await (await Put(NewCustomer(), """{"currency":"JPY","credits":{"low_balance_alerts":[{"amount":"500"},{"fraction_of_last_top_up":"1"}]}}""")).JsonAsync();
        var alerts = view.GetProperty("credits").GetProperty("low_balance_alerts");
        Assert.Equal("500", alerts[0].GetProperty("amount").GetString());
        Assert.Equal("1", alerts[1].GetProperty("fraction_of_last_top_up").GetString());
    }
}
