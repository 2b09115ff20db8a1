using System.Net;
using Ledger.Tests.Support;

namespace Ledger.Tests.Credits;

/// <summary>POST /v1/authorize and the hold endpoints, through HTTP against the real database.</summary>
[Collection(LedgerCollection.Name)]
public sealed class when_spend_is_checked_and_held(LedgerFixture ledger)
{
    [Fact]
    public async Task spend_check_denies_under_block_once_credits_are_exhausted()
    {
        var s = new SpendScenario(ledger);
        await s.StartAsync(block: true);
        await s.Credits.GrantAsync("prepaid", 5m);
        Assert.Equal((true, "credits_cover", "block", "5.00"), SpendScenario.Answer(await s.AuthorizeCaughtUpAsync("1.00")));

        await s.Credits.UseAsync(5);
        var denied = await s.AuthorizeCaughtUpAsync("0.01");
        Assert.Equal((false, "insufficient_credits", "block", "0.00"), SpendScenario.Answer(denied));
        Assert.Equal("0.01", denied.GetProperty("estimated_cost").GetString());
    }

    [Fact]
    public async Task spend_check_allows_overage_policy_with_figures()
    {
        var s = new SpendScenario(ledger);
        await s.StartAsync(block: false);
        await s.Credits.GrantAsync("prepaid", 2m);
        await s.Credits.UseAsync(3); // $1 beyond the credits: overage
        var answer = await s.AuthorizeCaughtUpAsync("1.50");
        Assert.Equal((true, "overage_policy", "overage", "0.00"), SpendScenario.Answer(answer));
        Assert.Equal(("1.50", "USD"), (answer.GetProperty("estimated_cost").GetString(), answer.GetProperty("currency").GetString()));

        // Under overage a hold is granted beyond the credits, and still reduces available.
        await s.PlacedAsync("5.00");
        Assert.Equal((true, "overage_policy", "overage", "-5.00"), SpendScenario.Answer(await s.AuthorizeCaughtUpAsync("1.00")));
    }

    [Fact]
    public async Task estimate_by_model_is_priced_by_the_customers_price_book()
    {
        var s = new SpendScenario(ledger);
        await s.StartAsync(block: true);
        await s.Credits.GrantAsync("prepaid", 10m);
        await s.AuthorizeCaughtUpAsync("0");
        var response = await s.PostAsync("/v1/authorize",
            $$"""{"customer":"{{s.Customer}}","estimate":{"model":"m","meters":{"input_tokens":3,"output_tokens":100} } }""");
        var answer = await response.JsonAsync();
        Assert.Equal(("3.00", true), (answer.GetProperty("estimated_cost").GetString(), answer.GetProperty("allowed").GetBoolean()));

        var tooBig = await (await s.PostAsync("/v1/authorize",
            $$"""{"customer":"{{s.Customer}}","estimate":{"model":"m","meters":{"input_tokens":11} } }""")).JsonAsync();
        Assert.Equal(("11.00", false), (tooBig.GetProperty("estimated_cost").GetString(), tooBig.GetProperty("allowed").GetBoolean()));

        // A hold can be sized by the same estimate.
        var hold = await (await s.PostAsync("/v1/holds",
            $$"""{"customer":"{{s.Customer}}","estimate":{"model":"m","meters":{"input_tokens":4} } }""")).JsonAsync();
        Assert.Equal("4.00", hold.GetProperty("amount").GetString());

        await LedgerProbes.AssertProblemAsync(await s.PostAsync("/v1/authorize",
            $$"""{"customer":"{{s.Customer}}","estimate":{"model":"no-such-model","meters":{"input_tokens":1} } }"""), HttpStatusCode.BadRequest, "estimate");
    }

    [Fact]
    public async Task concurrent_holds_cannot_overspend()
    {
        var s = new SpendScenario(ledger);
        await s.StartAsync(block: true);
        await s.Credits.GrantAsync("prepaid", 10m);
        await s.AuthorizeCaughtUpAsync("0");

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => s.HoldAsync("1.00")));
        Assert.Equal(10, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.Equal(10, answers.Count(a => a.StatusCode == HttpStatusCode.PaymentRequired));
        foreach (var refused in answers.Where(a => a.StatusCode == HttpStatusCode.PaymentRequired))
            await LedgerProbes.AssertProblemAsync(refused, HttpStatusCode.PaymentRequired);

        var balance = await s.Credits.BalanceAsync();
        Assert.Equal(("10.00", "0.00"), (balance.GetProperty("held").GetString(), balance.GetProperty("available").GetString()));
    }

    [Fact]
    public async Task hold_settles_when_its_usage_is_rated()
    {
        var s = new SpendScenario(ledger);
        await s.StartAsync(block: true);
        await s.Credits.GrantAsync("prepaid", 10m);
        await s.AuthorizeCaughtUpAsync("0");
        var id = (await s.PlacedAsync("4.00")).GetProperty("id").GetString()!;

        var settled = await (await s.PostAsync($"/v1/holds/{id}/settle", $$"""{"source":"{{s.Credits.Rating.Source}}","id":"e1"}""")).JsonAsync();
        Assert.Equal("settled", settled.GetProperty("status").GetString());
        Assert.Equal("4.00", (await s.Credits.BalanceAsync()).GetProperty("held").GetString()); // reserved until the usage is rated

        await s.Credits.UseAsync(3); // event e1
        var balance = await s.Credits.BalanceAsync();
        Assert.Equal(("7.00", "0.00", "7.00"), (balance.GetProperty("credits_remaining").GetString(), balance.GetProperty("held").GetString(),
            balance.GetProperty("available").GetString()));
        Assert.Equal("7.00", (await s.AuthorizeCaughtUpAsync("1.00")).GetProperty("available").GetString());
    }

    [Fact]
    public async Task holds_expire_after_their_timeout()
    {
        var s = new SpendScenario(ledger);
        await s.StartAsync(block: true);
        await s.Credits.GrantAsync("prepaid", 10m);
        await s.AuthorizeCaughtUpAsync("0");
        var hold = await s.PlacedAsync("2.00", timeout: "PT2S");
        var id = hold.GetProperty("id").GetString()!;
        Assert.Equal("held", hold.GetProperty("status").GetString());

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await s.HoldStateAsync(id)).GetProperty("status").GetString() != "expired")
        {
            Assert.True(DateTime.UtcNow < deadline, "the hold did not expire within 20 s of its 2 s timeout");
            await Task.Delay(100);
        }
        Assert.Equal(("0.00", "10.00"), ((await s.Credits.BalanceAsync()).GetProperty("held").GetString(),
            (await s.AuthorizeCaughtUpAsync("1.00")).GetProperty("available").GetString()));
    }

    [Fact]
    public async Task a_settled_hold_whose_usage_never_comes_expires_at_its_timeout()
    {
        var s = new SpendScenario(ledger);
        await s.StartAsync(block: true);
        await s.Credits.GrantAsync("prepaid", 10m);
        await s.AuthorizeCaughtUpAsync("0");
        var id = (await s.PlacedAsync("2.00", timeout: "PT2S")).GetProperty("id").GetString()!;
        var settled = await s.PostAsync($"/v1/holds/{id}/settle", $$"""{"source":"{{s.Credits.Rating.Source}}","id":"never-sent"}""");
        Assert.Equal(System.Net.HttpStatusCode.OK, settled.StatusCode);
        Assert.Equal("2.00", (await s.Credits.BalanceAsync()).GetProperty("held").GetString());

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await s.HoldStateAsync(id)).GetProperty("status").GetString() != "expired")
        {
            Assert.True(DateTime.UtcNow < deadline, "the settled hold did not expire within 20 s of its 2 s timeout");
            await Task.Delay(100);
        }
        Assert.Equal("0.00", (await s.Credits.BalanceAsync()).GetProperty("held").GetString());
    }

    [Fact]
    public async Task released_hold_frees_its_amount()
    {
        var s = new SpendScenario(ledger);
        await s.StartAsync(block: true);
        await s.Credits.GrantAsync("prepaid", 3m);
        await s.AuthorizeCaughtUpAsync("0");
        var id = (await s.PlacedAsync("3.00")).GetProperty("id").GetString()!;
        Assert.False((await (await s.AuthorizeAsync("1.00")).JsonAsync()).GetProperty("allowed").GetBoolean());

        var released = await (await s.PostAsync($"/v1/holds/{id}/release", "")).JsonAsync();
        Assert.Equal("released", released.GetProperty("status").GetString());
        // At once on this node, before the projection has seen the release.
        Assert.True((await (await s.AuthorizeAsync("3.00")).JsonAsync()).GetProperty("allowed").GetBoolean());
        Assert.Equal(("0.00", "3.00"), ((await s.Credits.BalanceAsync()).GetProperty("held").GetString(),
            (await s.AuthorizeCaughtUpAsync("3.00")).GetProperty("available").GetString()));
        // Releasing again answers the released hold.
        Assert.Equal(HttpStatusCode.OK, (await s.PostAsync($"/v1/holds/{id}/release", "")).StatusCode);
    }

    [Fact]
    public async Task a_retried_hold_with_the_same_id_is_one_hold()
    {
        var s = new SpendScenario(ledger);
        await s.StartAsync(block: false);
        var id = $"client-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.Created, (await s.HoldAsync("1.00", id: id)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.HoldAsync("1.00", id: id)).StatusCode);
        await LedgerProbes.AssertProblemAsync(await s.HoldAsync("2.00", id: id), HttpStatusCode.Conflict);
        Assert.Equal("1.00", (await s.Credits.BalanceAsync()).GetProperty("held").GetString());
    }

    [Fact]
    public async Task invalid_spend_checks_and_holds_are_refused_with_a_problem_naming_the_field()
    {
        var s = new SpendScenario(ledger);
        await s.StartAsync(block: false);
        var c = s.Customer;
        await LedgerProbes.AssertProblemAsync(await s.PostAsync("/v1/authorize", """{"estimated_cost":"1.00"}"""), HttpStatusCode.BadRequest, "customer");
        await LedgerProbes.AssertProblemAsync(await s.PostAsync("/v1/authorize", $$"""{"customer":"{{c}}","estimated_cost":1.0}"""), HttpStatusCode.BadRequest, "estimated_cost");
        await LedgerProbes.AssertProblemAsync(await s.PostAsync("/v1/authorize", $$"""{"customer":"{{c}}","estimated_cost":"-1"}"""), HttpStatusCode.BadRequest, "estimated_cost");
        await LedgerProbes.AssertProblemAsync(await s.PostAsync("/v1/authorize", $$"""{"customer":"{{c}}"}"""), HttpStatusCode.BadRequest, "estimated_cost");
        await LedgerProbes.AssertProblemAsync(await s.PostAsync("/v1/authorize", $$"""{"customer":"{{c}}","estimate":{"meters":{} } }"""), HttpStatusCode.BadRequest, "estimate.model");
        await LedgerProbes.AssertProblemAsync(await s.PostAsync("/v1/authorize",
            $$"""{"customer":"{{c}}","estimate":{"model":"m","meters":{"input_tokens":"many"} } }"""), HttpStatusCode.BadRequest, "estimate.meters.input_tokens");
        await LedgerProbes.AssertProblemAsync(await s.PostAsync("/v1/authorize", """{"customer":"nobody-at-all","estimated_cost":"1.00"}"""), HttpStatusCode.NotFound);

        await LedgerProbes.AssertProblemAsync(await s.HoldAsync("1.00", timeout: "PT25H"), HttpStatusCode.BadRequest, "timeout");
        await LedgerProbes.AssertProblemAsync(await s.HoldAsync("1.00", timeout: "soon"), HttpStatusCode.BadRequest, "timeout");
        await LedgerProbes.AssertProblemAsync(await s.HoldAsync("0"), HttpStatusCode.BadRequest, "amount");
        await LedgerProbes.AssertProblemAsync(await s.PostAsync("/v1/holds", """{"amount":"1.00"}"""), HttpStatusCode.BadRequest, "customer");
        var id = (await s.PlacedAsync("1.00")).GetProperty("id").GetString()!;
        await LedgerProbes.AssertProblemAsync(await s.PostAsync($"/v1/holds/{id}/settle", """{"id":"e1"}"""), HttpStatusCode.BadRequest, "source");
        await LedgerProbes.AssertProblemAsync(await ledger.Client.GetAsync("/v1/holds/no-such-hold"), HttpStatusCode.NotFound);
        await LedgerProbes.AssertProblemAsync(await s.PostAsync("/v1/holds/no-such-hold/release", ""), HttpStatusCode.NotFound);
    }
}
