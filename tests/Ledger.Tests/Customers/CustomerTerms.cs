using System.Net;
using System.Net.Http.Json;
using System.Text;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Customers;

[Collection(LedgerCollection.Name)]
public sealed class when_customer_terms_are_put(LedgerFixture ledger)
{
    private static string NewCustomer() => $"cust-{Guid.NewGuid():N}";

    private Task<HttpResponseMessage> Put(string customer, string json) =>
        ledger.Client.PutAsync($"/v1/customers/{Uri.EscapeDataString(customer)}", new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task a_new_customer_is_created_with_usd_and_utc_by_default()
    {
        var customer = NewCustomer();
        var response = await Put(customer, "{}");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var stored = await (await ledger.Client.GetAsync($"/v1/customers/{customer}")).JsonAsync();
        Assert.Equal(customer, stored.GetProperty("id").GetString());
        Assert.Equal("USD", stored.GetProperty("currency").GetString());
        Assert.Equal("UTC", stored.GetProperty("time_zone").GetString());
    }

    [Fact]
    public async Task all_terms_are_kept_and_money_is_a_decimal_string()
    {
        var customer = NewCustomer();
        await Put(customer,
            """{"currency":"EUR","time_zone":"Europe/Berlin","price_book":"standard","budget":{"amount":"100.00","period":"month","alert_thresholds":[1.0,0.5,0.8]}}""");

        var stored = await (await ledger.Client.GetAsync($"/v1/customers/{customer}")).JsonAsync();
        Assert.Equal("EUR", stored.GetProperty("currency").GetString());
        Assert.Equal("Europe/Berlin", stored.GetProperty("time_zone").GetString());
        Assert.Equal("standard", stored.GetProperty("price_book").GetString());
        var budget = stored.GetProperty("budget");
        Assert.Equal("100.00", budget.GetProperty("amount").GetString());
        Assert.Equal("month", budget.GetProperty("period").GetString());
        Assert.Equal([0.5m, 0.8m, 1.0m], budget.GetProperty("alert_thresholds").EnumerateArray().Select(t => t.GetDecimal()));
    }

    [Fact]
    public async Task a_second_put_updates_only_what_it_names_and_an_unchanged_put_records_nothing()
    {
        var customer = NewCustomer();
        await Put(customer, """{"time_zone":"America/New_York","price_book":"a"}""");
        var updated = await Put(customer, """{"price_book":"b"}""");
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var view = await updated.JsonAsync();
        Assert.Equal("b", view.GetProperty("price_book").GetString());
        Assert.Equal("America/New_York", view.GetProperty("time_zone").GetString());

        await Put(customer, """{"price_book":"b"}""");
        Assert.Equal(2, await CountEvents(customer));
    }

    [Fact]
    public async Task the_currency_cannot_change_once_set()
    {
        var customer = NewCustomer();
        await Put(customer, """{"currency":"USD"}""");

        await AssertProblemAsync(await Put(customer, """{"currency":"EUR"}"""), HttpStatusCode.Conflict);
        Assert.Equal("USD", (await (await ledger.Client.GetAsync($"/v1/customers/{customer}")).JsonAsync()).GetProperty("currency").GetString());
    }

    [Theory]
    [InlineData("""{"currency":"XYZ"}""", "currency")]
    [InlineData("""{"currency":"usd"}""", "currency")]
    [InlineData("""{"time_zone":"Mars/Olympus"}""", "time_zone")]
    [InlineData("""{"budget":{"amount":"-5"}}""", "budget.amount")]
    [InlineData("""{"budget":{"amount":"ten"}}""", "budget.amount")]
    [InlineData("""{"budget":{"amount":"10","period":"week"}}""", "budget.period")]
    [InlineData("""{"budget":{"amount":"10","period":"2"}}""", "budget.period")]
    [InlineData("""{"budget":{"amount":"10","alert_thresholds":[0]}}""", "budget.alert_thresholds")]
    [InlineData("""{"budget":{"amount":"10","alert_thresholds":[0.5,0.5]}}""", "budget.alert_thresholds")]
    public async Task invalid_terms_are_a_400_naming_the_field_and_nothing_is_recorded(string json, string field)
    {
        var customer = NewCustomer();
        await AssertProblemAsync(await Put(customer, json), HttpStatusCode.BadRequest, field);
        Assert.Equal(HttpStatusCode.NotFound, (await ledger.Client.GetAsync($"/v1/customers/{customer}")).StatusCode);
    }

    [Fact]
    public async Task an_unknown_customer_is_a_404_problem() =>
        await AssertProblemAsync(await ledger.Client.GetAsync($"/v1/customers/{NewCustomer()}"), HttpStatusCode.NotFound);

    private async Task<long> CountEvents(string customer)
    {
        await using var cmd = ledger.Database.CreateCommand("select count(*) from ledger.mt_events where stream_id = $1");
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = $"customer/{customer}" });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
