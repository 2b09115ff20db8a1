using System.Net;
using Ledger.Tests.Support;
using static Ledger.Tests.Credits.CreditProbes;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Credits;

[Collection(LedgerCollection.Name)]
public sealed class when_credits_are_granted(LedgerFixture ledger)
{
    private const string Grant = """{"amount":"100.00","kind":"purchased","priority":10,"effective_at":"2026-11-01T00:00:00Z","expires_at":"2099-01-01T00:00:00Z","reference":"inv-123"}""";

    [Fact]
    public async Task a_new_reference_is_a_201_with_the_grant_and_its_defaults()
    {
        var customer = await ledger.Client.NewCustomerAsync();
        var response = await ledger.Client.GrantAsync(customer, Grant);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var grant = await response.JsonAsync();
        Assert.Equal("inv-123", grant.GetProperty("id").GetString());
        Assert.Equal("100.00", grant.GetProperty("amount").GetString());
        Assert.Equal("USD", grant.GetProperty("currency").GetString());
        Assert.Equal("purchased", grant.GetProperty("kind").GetString());
        Assert.Equal(10, grant.GetProperty("priority").GetInt32());
        Assert.Equal("active", grant.GetProperty("status").GetString());
        Assert.Equal(["P30D", "P7D", "P1D"], grant.GetProperty("expiry_notices").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(["credit_granted"], await StreamEventsAsync(ledger.Database, GrantStream(customer, "inv-123")));
    }

    [Fact]
    public async Task same_reference_twice_is_one_grant()
    {
        var customer = await ledger.Client.NewCustomerAsync();
        await ledger.Client.GrantAsync(customer, Grant);
        // The same terms again, written differently (100 for 100.00, priority and notices as the defaults would make them)
        var again = await ledger.Client.GrantAsync(customer,
            """{"amount":"100","kind":"purchased","priority":10,"effective_at":"2026-11-01T01:00:00+01:00","expires_at":"2099-01-01T00:00:00Z","reference":"inv-123","expiry_notices":["P1D","P7D","P30D"]}""");

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("inv-123", (await again.JsonAsync()).GetProperty("id").GetString());
        Assert.Single(await StreamEventsAsync(ledger.Database, GrantStream(customer, "inv-123")));
        Assert.Single((await ledger.Client.CreditsAsync(customer)).GetProperty("grants").EnumerateArray());
    }

    [Fact]
    public async Task a_retry_without_effective_at_is_the_same_grant()
    {
        var customer = await ledger.Client.NewCustomerAsync();
        const string json = """{"amount":"5.00","kind":"promotional","reference":"welcome"}""";
        Assert.Equal(HttpStatusCode.Created, (await ledger.Client.GrantAsync(customer, json)).StatusCode);
        ledger.Clock.Advance(NodaTime.Duration.FromMinutes(1)); // effective_at defaults to now: a later retry still means the recorded grant
        try { Assert.Equal(HttpStatusCode.OK, (await ledger.Client.GrantAsync(customer, json)).StatusCode); }
        finally { ledger.Clock.Advance(-NodaTime.Duration.FromMinutes(1)); }
    }

    [Fact]
    public async Task same_reference_other_content_is_a_conflict()
    {
        var customer = await ledger.Client.NewCustomerAsync();
        await ledger.Client.GrantAsync(customer, Grant);

        var problem = await AssertProblemAsync(await ledger.Client.GrantAsync(customer, Grant.Replace("100.00", "90.00").Replace("\"priority\":10", "\"priority\":5")),
            HttpStatusCode.Conflict);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("amount: recorded 100.00, sent 90.00", detail);
        Assert.Contains("priority: recorded 10, sent 5", detail);
        Assert.DoesNotContain("kind", detail);
        Assert.Single(await StreamEventsAsync(ledger.Database, GrantStream(customer, "inv-123")));
    }

    [Fact]
    public async Task grant_for_unknown_customer_is_404() =>
        await AssertProblemAsync(await ledger.Client.GrantAsync(NewCustomer(), Grant), HttpStatusCode.NotFound);

    [Theory]
    [InlineData("""{"amount":"0","kind":"purchased","reference":"r"}""", "amount")]
    [InlineData("""{"amount":"-5","kind":"purchased","reference":"r"}""", "amount")]
    [InlineData("""{"amount":"1.001","kind":"purchased","reference":"r"}""", "amount")]
    [InlineData("""{"amount":100,"kind":"purchased","reference":"r"}""", "amount")]
    [InlineData("""{"kind":"purchased","reference":"r"}""", "amount")]
    [InlineData("""{"amount":"1","kind":"gift","reference":"r"}""", "kind")]
    [InlineData("""{"amount":"1","reference":"r"}""", "kind")]
    [InlineData("""{"amount":"1","kind":"purchased","priority":-1,"reference":"r"}""", "priority")]
    [InlineData("""{"amount":"1","kind":"purchased","priority":"1","reference":"r"}""", "priority")]
    [InlineData("""{"amount":"1","kind":"purchased","priority":1.5,"reference":"r"}""", "priority")]
    [InlineData("""{"amount":"1","kind":"purchased"}""", "reference")]
    [InlineData("""{"amount":"1","kind":"purchased","reference":""}""", "reference")]
    [InlineData("""{"amount":"1","kind":"purchased","reference":"a/b"}""", "reference")]
    [InlineData("""{"amount":"1","kind":"purchased","reference":"r","effective_at":"yesterday"}""", "effective_at")]
    [InlineData("""{"amount":"1","kind":"purchased","reference":"r","effective_at":"2026-11-01T00:00:00Z","expires_at":"2026-11-01T00:00:00Z"}""", "expires_at")]
    [InlineData("""{"amount":"1","kind":"purchased","reference":"r","expires_at":"2099-01-01"}""", "expires_at")]
    [InlineData("""{"amount":"1","kind":"purchased","reference":"r","expiry_notices":["P7D"]}""", "expiry_notices")]
    [InlineData("""{"amount":"1","kind":"purchased","reference":"r","expires_at":"2099-01-01T00:00:00Z","expiry_notices":["P7D","seven days"]}""", "expiry_notices[1]")]
    [InlineData("""{"amount":"1","kind":"purchased","reference":"r","expires_at":"2099-01-01T00:00:00Z","expiry_notices":["P1M"]}""", "expiry_notices[0]")]
    [InlineData("""{"amount":"1","kind":"purchased","reference":"r","expires_at":"2099-01-01T00:00:00Z","expiry_notices":["PT0S"]}""", "expiry_notices[0]")]
    [InlineData("""{"amount":"1","kind":"purchased","reference":"r","expires_at":"2099-01-01T00:00:00Z","expiry_notices":["P7D","P1W"]}""", "expiry_notices[1]")]
    public async Task an_invalid_grant_is_a_400_naming_the_field_and_nothing_is_recorded(string json, string field)
    {
        var customer = await ledger.Client.NewCustomerAsync();
        await AssertProblemAsync(await ledger.Client.GrantAsync(customer, json), HttpStatusCode.BadRequest, field);
        Assert.Empty((await ledger.Client.CreditsAsync(customer)).GetProperty("grants").EnumerateArray());
    }

    [Fact]
    public async Task the_amount_is_in_the_customers_currency_and_its_minor_units()
    {
        var customer = await ledger.Client.NewCustomerAsync("""{"currency":"JPY"}""");
        await AssertProblemAsync(await ledger.Client.GrantAsync(customer, """{"amount":"1000.5","kind":"purchased","reference":"r"}"""), HttpStatusCode.BadRequest, "amount");
        var grant = await (await ledger.Client.GrantAsync(customer, """{"amount":"1000","kind":"purchased","reference":"r"}""")).JsonAsync();
        Assert.Equal("JPY", grant.GetProperty("currency").GetString());
        Assert.Equal("1000", grant.GetProperty("amount").GetString());
    }

    [Fact]
    public async Task concurrent_grants_with_one_reference_record_one_grant()
    {
        var customer = await ledger.Client.NewCustomerAsync();
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => ledger.Client.GrantAsync(customer, Grant)));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.Conflict }));
        Assert.Single(await StreamEventsAsync(ledger.Database, GrantStream(customer, "inv-123")));
    }

    [Fact]
    public async Task grants_are_listed_in_drawdown_order_with_amounts_as_exact_strings()
    {
        var customer = await ledger.Client.NewCustomerAsync();
        async Task G(string reference, int priority, string? expires)
        {
            var expiry = expires is null ? "" : $",\"expires_at\":\"{expires}\"";
            var response = await ledger.Client.GrantAsync(customer,
                $$"""{"amount":"10.5","kind":"promotional","priority":{{priority}},"effective_at":"2026-01-01T00:00:00Z","reference":"{{reference}}"{{expiry}},"expiry_notices":[]}""");
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        await G("never-expires", 10, null);
        await G("late", 10, "2099-06-01T00:00:00Z");
        await G("early", 10, "2098-01-01T00:00:00Z");
        await G("first", 1, null);
        await G("older-of-two", 20, null);
        await G("newer-of-two", 20, null);

        var credits = await ledger.Client.CreditsAsync(customer);
        Assert.Equal(customer, credits.GetProperty("customer").GetString());
        Assert.Equal("USD", credits.GetProperty("currency").GetString());
        Assert.Equal(["first", "early", "late", "never-expires", "older-of-two", "newer-of-two"],
            credits.GetProperty("grants").EnumerateArray().Select(g => g.GetProperty("id").GetString()));
        var one = credits.GetProperty("grants")[0];
        Assert.Equal("10.50", one.GetProperty("amount").GetString());
        Assert.Equal("0.00", one.GetProperty("drawn").GetString());
        Assert.Equal("10.50", one.GetProperty("remaining").GetString());
        Assert.Equal("63.00", credits.GetProperty("remaining").GetString());
        Assert.True(credits.GetProperty("as_of").GetInt64() >= 0);
    }

    [Fact]
    public async Task credits_of_an_unknown_customer_are_a_404() =>
        await AssertProblemAsync(await ledger.Client.GetAsync(CreditsPath(NewCustomer())), HttpStatusCode.NotFound);
}

[Collection(LedgerCollection.Name)]
public sealed class when_a_grant_is_voided(LedgerFixture ledger)
{
    [Fact]
    public async Task void_records_an_event_and_a_second_void_conflicts()
    {
        var customer = await ledger.Client.NewCustomerAsync();
        await ledger.Client.GrantAsync(customer, """{"amount":"20.00","kind":"purchased","reference":"inv-9"}""");

        var voided = await ledger.Client.VoidAsync(customer, "inv-9");
        Assert.Equal(HttpStatusCode.OK, voided.StatusCode);
        var view = await voided.JsonAsync();
        Assert.Equal("voided", view.GetProperty("status").GetString());
        Assert.Equal("refund", view.GetProperty("void_reason").GetString());

        await AssertProblemAsync(await ledger.Client.VoidAsync(customer, "inv-9"), HttpStatusCode.Conflict);
        Assert.Equal(["credit_granted", "credit_grant_voided"], await StreamEventsAsync(ledger.Database, GrantStream(customer, "inv-9")));
        Assert.Equal("voided", (await ledger.Client.CreditsAsync(customer)).GetProperty("grants")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task voiding_an_unknown_grant_is_a_404() =>
        await AssertProblemAsync(await ledger.Client.VoidAsync(await ledger.Client.NewCustomerAsync(), "no-such-grant"), HttpStatusCode.NotFound);

    [Fact]
    public async Task concurrent_voids_record_one_void()
    {
        var customer = await ledger.Client.NewCustomerAsync();
        await ledger.Client.GrantAsync(customer, """{"amount":"20.00","kind":"purchased","reference":"inv-10"}""");

        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => ledger.Client.VoidAsync(customer, "inv-10")));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.OK), a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));
        Assert.Equal(["credit_granted", "credit_grant_voided"], await StreamEventsAsync(ledger.Database, GrantStream(customer, "inv-10")));
    }
}
