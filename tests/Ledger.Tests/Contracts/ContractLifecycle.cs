using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ledger.Tests.Rating;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Contracts;

/// <summary>Contracts through the API: start, amend, end, and what is refused.</summary>
[Collection(LedgerCollection.Name)]
public sealed class when_contracts_are_started_amended_and_ended(LedgerFixture ledger)
{
    private const string Terms = """
        "period": {"kind": "month", "anchor_day": 15},
        "fee": {"amount": "1000.00", "timing": "advance"},
        "included": {"amount": "500.00"},
        "overage": {"discount_percent": "10"},
        "minimum_commitment": {"amount": "2000.00"}
        """;

    private async Task<RatingScenario> CustomerAsync()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(RatingScenario.FlatBook("2026-01-01T00:00:00Z", "1.00"));
        await s.PutCustomerAsync($$"""{"price_book":"{{s.Book}}","time_zone":"Europe/Berlin"}""");
        return s;
    }

    private Task<HttpResponseMessage> PostAsync(string path, string json) =>
        ledger.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task a_contract_starts_with_its_period_fee_allowance_overage_and_commitment()
    {
        var s = await CustomerAsync();
        var response = await PostAsync($"/v1/customers/{s.Customer}/contracts", $$"""{"id": "c-{{s.Customer}}", "starts_at": "2026-01-15T00:00:00+01:00", {{Terms}} }""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var contract = await response.JsonAsync();
        Assert.Equal(("active", "month", 15), (contract.GetProperty("status").GetString(),
            contract.GetProperty("period").GetProperty("kind").GetString(), contract.GetProperty("period").GetProperty("anchor_day").GetInt32()));
        var terms = contract.GetProperty("terms");
        Assert.Equal(("1000.00", "advance", "500.00", "10", "2000.00"), (terms.GetProperty("fee").GetProperty("amount").GetString(),
            terms.GetProperty("fee").GetProperty("timing").GetString(), terms.GetProperty("included").GetProperty("amount").GetString(),
            terms.GetProperty("overage").GetProperty("discount_percent").GetString(), terms.GetProperty("minimum_commitment").GetProperty("amount").GetString()));
        Assert.Equal(0, Assert.Single(contract.GetProperty("versions").EnumerateArray()).GetProperty("amendment").GetInt32());

        // The current period: from the 15th at Berlin midnight, in the zone the contract started in, also after the customer moves.
        await s.PutCustomerAsync($$"""{"time_zone":"America/New_York"}""");
        var fetched = await (await ledger.Client.GetAsync($"/v1/contracts/c-{s.Customer}")).JsonAsync();
        var berlin = NodaTime.DateTimeZoneProviders.Tzdb["Europe/Berlin"];
        var today = ledger.Clock.GetCurrentInstant().InZone(berlin).Date;
        var from = today.Day >= 15 ? new NodaTime.LocalDate(today.Year, today.Month, 15) : new NodaTime.LocalDate(today.Year, today.Month, 15).PlusMonths(-1);
        Assert.Equal("Europe/Berlin", fetched.GetProperty("time_zone").GetString());
        Assert.Equal((berlin.AtStartOfDay(from).ToInstant().ToString(), berlin.AtStartOfDay(from.PlusMonths(1)).ToInstant().ToString()),
            (fetched.GetProperty("current_period").GetProperty("from").GetString(), fetched.GetProperty("current_period").GetProperty("to").GetString()));
        Assert.Equal(contract.GetProperty("starts_at").GetString(), fetched.GetProperty("starts_at").GetString());
        Assert.Equal("2026-01-14T23:00:00Z", fetched.GetProperty("starts_at").GetString());
        var listed = await (await ledger.Client.GetAsync($"/v1/customers/{s.Customer}/contracts")).JsonAsync();
        Assert.Equal($"c-{s.Customer}", Assert.Single(listed.GetProperty("contracts").EnumerateArray()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task the_same_id_again_is_one_contract_and_other_terms_conflict()
    {
        var s = await CustomerAsync();
        var body = $$"""{"id": "same-{{s.Customer}}", "starts_at": "2026-02-01T00:00:00Z", {{Terms}} }""";
        Assert.Equal(HttpStatusCode.Created, (await PostAsync($"/v1/customers/{s.Customer}/contracts", body)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync($"/v1/customers/{s.Customer}/contracts", body)).StatusCode);
        await AssertProblemAsync(await PostAsync($"/v1/customers/{s.Customer}/contracts", body.Replace("1000.00", "1200.00")),
            HttpStatusCode.Conflict);
        Assert.Single((await (await ledger.Client.GetAsync($"/v1/customers/{s.Customer}/contracts")).JsonAsync()).GetProperty("contracts").EnumerateArray());
    }

    [Fact]
    public async Task a_second_contract_overlapping_the_first_is_refused_until_the_first_ends()
    {
        var s = await CustomerAsync();
        var first = await (await PostAsync($"/v1/customers/{s.Customer}/contracts", """{"starts_at": "2026-01-01T00:00:00Z"}""")).JsonAsync();
        var firstId = first.GetProperty("id").GetString()!;
        await AssertProblemAsync(await PostAsync($"/v1/customers/{s.Customer}/contracts", """{"starts_at": "2026-06-01T00:00:00Z"}"""),
            HttpStatusCode.Conflict);

        var ended = await PostAsync($"/v1/contracts/{firstId}/end", """{"ends_at": "2026-06-01T00:00:00Z", "reason": "renegotiated"}""");
        Assert.Equal(HttpStatusCode.OK, ended.StatusCode);
        await AssertProblemAsync(await PostAsync($"/v1/customers/{s.Customer}/contracts", """{"starts_at": "2026-05-31T00:00:00Z"}"""),
            HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.Created, (await PostAsync($"/v1/customers/{s.Customer}/contracts", """{"starts_at": "2026-06-01T00:00:00Z"}""")).StatusCode);
    }

    [Fact]
    public async Task an_amendment_changes_only_the_parts_sent_from_its_effective_at()
    {
        var s = await CustomerAsync();
        var id = $"amend-{s.Customer}";
        await PostAsync($"/v1/customers/{s.Customer}/contracts", $$"""{"id": "{{id}}", "starts_at": "2026-01-15T00:00:00Z", {{Terms}} }""");

        var amended = await PostAsync($"/v1/contracts/{id}/amendments",
            """{"effective_at": "2026-03-20T00:00:00Z", "fee": {"amount": "1500.00", "timing": "arrears"}, "minimum_commitment": null, "reason": "upgrade"}""");
        Assert.Equal(HttpStatusCode.Created, amended.StatusCode);
        var versions = (await amended.JsonAsync()).GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal(2, versions.Count);
        var upgrade = versions[1];
        Assert.Equal((1, "2026-03-20T00:00:00Z", "upgrade"), (upgrade.GetProperty("amendment").GetInt32(),
            upgrade.GetProperty("effective_at").GetString(), upgrade.GetProperty("reason").GetString()));
        var terms = upgrade.GetProperty("terms");
        Assert.Equal(("1500.00", "arrears"), (terms.GetProperty("fee").GetProperty("amount").GetString(), terms.GetProperty("fee").GetProperty("timing").GetString()));
        Assert.Equal("500.00", terms.GetProperty("included").GetProperty("amount").GetString()); // left out: kept
        Assert.False(terms.TryGetProperty("minimum_commitment", out var minimum) && minimum.ValueKind != JsonValueKind.Null, "null: removed");
        Assert.Equal("1000.00", versions[0].GetProperty("terms").GetProperty("fee").GetProperty("amount").GetString()); // the past is not rewritten
    }

    [Fact]
    public async Task an_ended_contract_takes_no_amendment_after_its_end_and_ends_once()
    {
        var s = await CustomerAsync();
        var id = $"end-{s.Customer}";
        await PostAsync($"/v1/customers/{s.Customer}/contracts", $$"""{"id": "{{id}}", "starts_at": "2026-01-01T00:00:00Z"}""");
        Assert.Equal(HttpStatusCode.OK, (await PostAsync($"/v1/contracts/{id}/end", """{"ends_at": "2026-04-01T00:00:00Z"}""")).StatusCode);
        await AssertProblemAsync(await PostAsync($"/v1/contracts/{id}/end", """{"ends_at": "2026-05-01T00:00:00Z"}"""), HttpStatusCode.Conflict);
        await AssertProblemAsync(await PostAsync($"/v1/contracts/{id}/amendments", """{"effective_at": "2026-04-01T00:00:00Z", "fee": {"amount": "1.00"}}"""),
            HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.Created,
            (await PostAsync($"/v1/contracts/{id}/amendments", """{"effective_at": "2026-03-31T00:00:00Z", "fee": {"amount": "1.00"}}""")).StatusCode);
        var contract = await (await ledger.Client.GetAsync($"/v1/contracts/{id}")).JsonAsync();
        Assert.Equal(("ended", "2026-04-01T00:00:00Z"), (contract.GetProperty("status").GetString(), contract.GetProperty("ends_at").GetString()));
    }

    [Theory]
    [InlineData("""{"id": "no spaces allowed"}""", "id")]
    [InlineData("""{"starts_at": "yesterday"}""", "starts_at")]
    [InlineData("""{"period": {"kind": "fortnight"}}""", "period.kind")]
    [InlineData("""{"period": {"kind": "month", "anchor_day": 32}}""", "period.anchor_day")]
    [InlineData("""{"period": {"kind": "year", "anchor_month": 13}}""", "period.anchor_month")]
    [InlineData("""{"period": {"kind": "year", "anchor_month": 2, "anchor_day": 30}}""", "period.anchor_day")]
    [InlineData("""{"period": {"kind": "custom"}}""", "period.length")]
    [InlineData("""{"period": {"kind": "custom", "length": "PT12H"}}""", "period.length")]
    [InlineData("""{"fee": {"amount": 1000}}""", "fee.amount")]
    [InlineData("""{"fee": {"amount": "10.001"}}""", "fee.amount")]
    [InlineData("""{"fee": {"amount": "10.00", "timing": "monthly"}}""", "fee.timing")]
    [InlineData("""{"included": {"amount": "5.00", "quantities": []}}""", "included")]
    [InlineData("""{"included": {"quantities": [{"meter": "input_tokens", "quantity": "-1"}]}}""", "included.quantities[0].quantity")]
    [InlineData("""{"overage": {"discount_percent": "101"}}""", "overage.discount_percent")]
    [InlineData("""{"overage": {"rules": {"no-such-rule": {"input": "1.00"}}}}""", "overage.rules.no-such-rule")]
    [InlineData("""{"minimum_commitment": {"amount": "0"}}""", "minimum_commitment.amount")]
    public async Task invalid_contract_requests_are_400_naming_the_field_and_record_nothing(string body, string field)
    {
        var s = await CustomerAsync();
        var response = await PostAsync($"/v1/customers/{s.Customer}/contracts", body);
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Empty((await (await ledger.Client.GetAsync($"/v1/customers/{s.Customer}/contracts")).JsonAsync()).GetProperty("contracts").EnumerateArray());
    }

    [Fact]
    public async Task contracts_of_unknown_customers_and_unknown_contracts_are_404()
    {
        await AssertProblemAsync(await PostAsync($"/v1/customers/{NewCustomer()}/contracts", "{}"), HttpStatusCode.NotFound);
        await AssertProblemAsync(await PostAsync("/v1/contracts/no-such-contract/end", "{}"), HttpStatusCode.NotFound);
        await AssertProblemAsync(await ledger.Client.GetAsync("/v1/contracts/no-such-contract"), HttpStatusCode.NotFound);
    }
}
