using System.Net;
using System.Text.Json;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;
using static Ledger.Tests.Webhooks.WebhookProbes;

namespace Ledger.Tests.Webhooks;

[Collection(LedgerCollection.Name)]
public sealed class when_webhook_endpoints_are_configured(LedgerFixture ledger)
{
    private async Task<JsonElement> GetAsync(string id)
    {
        var response = await ledger.Client.GetAsync($"/v1/webhooks/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    [Fact]
    public async Task the_secret_is_shown_once()
    {
        var id = NewEndpointId();
        var created = await ledger.PutWebhookAsync(id, """{"url":"http://127.0.0.1:9/hooks","customer":"cust-1","types":["budget.threshold_crossed"]}""");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (await created.JsonAsync()).GetProperty("secret").GetString()!;
        Assert.Matches("^whsec_[A-Za-z0-9_-]{43}$", secret); // 32 random bytes, base64url without padding
        var updated = await ledger.PutWebhookAsync(id, """{"url":"http://127.0.0.1:9/hooks/v2","customer":"cust-1"}""");
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var listed = await ledger.Client.GetStringAsync("/v1/webhooks");
        foreach (var text in new[] { await updated.Content.ReadAsStringAsync(), (await GetAsync(id)).GetRawText(), listed })
        {
            Assert.DoesNotContain(secret, text);
            Assert.DoesNotContain("\"secret\"", text);
        }
        Assert.Contains(id, listed);
        await ledger.Client.DeleteAsync($"/v1/webhooks/{id}");
    }

    [Fact]
    public async Task a_given_secret_is_kept_and_not_echoed_and_an_update_without_one_keeps_it()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var endpoints = new Endpoints(ledger);
        var customer = NewCustomer();
        const string secret = "whsec_chosen-by-the-receiver-team-0123";
        var (id, _) = await endpoints.CreateAsync("http://127.0.0.1:9/old", customer, secret: secret);
        var updated = await ledger.PutWebhookAsync(id, $$"""{"url":"{{receiver.Url()}}","customer":"{{customer}}"}""");
        Assert.DoesNotContain(secret, await updated.Content.ReadAsStringAsync());

        await ledger.PublishAsync(Notice("budget.threshold_crossed", customer));

        var request = Assert.Single(await receiver.WaitForAsync(1));
        Assert.True(Verify(secret, request.Headers["Ledger-Signature"], request.Body,
            ledger.Clock.GetCurrentInstant().ToDateTimeOffset(), TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public async Task an_update_replaces_the_filters_and_an_unchanged_put_records_nothing()
    {
        await using var endpoints = new Endpoints(ledger);
        var (id, _) = await endpoints.CreateAsync("http://127.0.0.1:9/a", "cust-a", ["budget.threshold_crossed"]);

        var updated = await ledger.PutWebhookAsync(id, """{"url":"http://127.0.0.1:9/b","customer":null,"types":null}""");
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var again = await ledger.PutWebhookAsync(id, """{"url":"http://127.0.0.1:9/b"}""");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        var stored = await GetAsync(id);
        Assert.Equal("http://127.0.0.1:9/b", stored.GetProperty("url").GetString());
        Assert.False(stored.TryGetProperty("customer", out _));
        Assert.False(stored.TryGetProperty("types", out _));
        await using var cmd = ledger.Database.CreateCommand("select count(*) from ledger.mt_events where stream_id = $1");
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = $"webhook/{id}" });
        Assert.Equal(2L, (long)(await cmd.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task a_removed_endpoint_is_gone_removing_it_again_is_harmless_and_put_creates_it_anew()
    {
        var id = NewEndpointId();
        await ledger.PutWebhookAsync(id, """{"url":"http://127.0.0.1:9/hooks"}""");

        Assert.Equal(HttpStatusCode.NoContent, (await ledger.Client.DeleteAsync($"/v1/webhooks/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await ledger.Client.DeleteAsync($"/v1/webhooks/{id}")).StatusCode);
        await AssertProblemAsync(await ledger.Client.GetAsync($"/v1/webhooks/{id}"), HttpStatusCode.NotFound);
        Assert.DoesNotContain(id, await ledger.Client.GetStringAsync("/v1/webhooks"));

        var recreated = await ledger.PutWebhookAsync(id, """{"url":"http://127.0.0.1:9/hooks"}""");
        Assert.Equal(HttpStatusCode.Created, recreated.StatusCode);
        Assert.StartsWith("whsec_", (await recreated.JsonAsync()).GetProperty("secret").GetString());
        await ledger.Client.DeleteAsync($"/v1/webhooks/{id}");
    }

    [Fact]
    public async Task unknown_endpoints_and_deliveries_are_404_problems()
    {
        await AssertProblemAsync(await ledger.Client.GetAsync($"/v1/webhooks/{NewEndpointId()}"), HttpStatusCode.NotFound);
        await AssertProblemAsync(await ledger.Client.DeleteAsync($"/v1/webhooks/{NewEndpointId()}"), HttpStatusCode.NotFound);
        await AssertProblemAsync(await ledger.Client.GetAsync("/v1/webhooks/deliveries/whd_nope"), HttpStatusCode.NotFound);
        await AssertProblemAsync(await ledger.Client.PostAsync("/v1/webhooks/deliveries/whd_nope/retry", null), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("""{}""", "url")]
    [InlineData("""{"url":""}""", "url")]
    [InlineData("""{"url":"example.com/hooks"}""", "url")]
    [InlineData("""{"url":"/hooks"}""", "url")]
    [InlineData("""{"url":"ftp://example.com/hooks"}""", "url")]
    [InlineData("""{"url":"https://user:pass@example.com/hooks"}""", "url")]
    [InlineData("""{"url":"http://127.0.0.1:9","customer":""}""", "customer")]
    [InlineData("""{"url":"http://127.0.0.1:9","types":[]}""", "types")]
    [InlineData("""{"url":"http://127.0.0.1:9","types":["Budget.Crossed"]}""", "types")]
    [InlineData("""{"url":"http://127.0.0.1:9","types":["budget"]}""", "types")]
    [InlineData("""{"url":"http://127.0.0.1:9","types":["budget.threshold_crossed",null]}""", "types")]
    [InlineData("""{"url":"http://127.0.0.1:9","secret":"short"}""", "secret")]
    [InlineData("""{"url":"http://127.0.0.1:9","secret":"has spaces in it, which is not allowed"}""", "secret")]
    public async Task bad_input_is_a_400_naming_the_field_and_nothing_is_recorded(string json, string field)
    {
        var id = NewEndpointId();
        var problem = await AssertProblemAsync(await ledger.PutWebhookAsync(id, json), HttpStatusCode.BadRequest, field);
        AssertNamesField(field, problem.GetProperty("detail").GetString()!);
        await AssertProblemAsync(await ledger.Client.GetAsync($"/v1/webhooks/{id}"), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("deliveries")]
    [InlineData("-starts-with-a-dash")]
    [InlineData("has space")]
    public async Task a_bad_id_is_a_400_naming_the_id(string id) =>
        await AssertProblemAsync(await ledger.PutWebhookAsync(id, """{"url":"http://127.0.0.1:9"}"""), HttpStatusCode.BadRequest, "id");

    [Theory]
    [InlineData("status=lost", "status")]
    [InlineData("status=1", "status")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("limit=ten", "limit")]
    public async Task bad_delivery_queries_are_400_problems(string query, string field) =>
        await AssertProblemAsync(await ledger.Client.GetAsync($"/v1/webhooks/deliveries?{query}"), HttpStatusCode.BadRequest, field);

    [Fact]
    public async Task deliveries_are_listed_newest_first_and_limited()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var endpoints = new Endpoints(ledger);
        var customer = NewCustomer();
        var (endpoint, _) = await endpoints.CreateAsync(receiver.Url(), customer);
        var notices = Enumerable.Range(0, 3).Select(_ => Notice("budget.threshold_crossed", customer)).ToList();
        foreach (var notice in notices)
        {
            await ledger.PublishAsync(notice);
            await ledger.DeliveryAsync(DeliveryId(notice, endpoint), "delivered");
        }

        var listed = await ledger.DeliveriesAsync($"customer={customer}&status=delivered");
        Assert.Equal(notices.Select(n => DeliveryId(n, endpoint)).Reverse(), listed.Select(d => d.GetProperty("id").GetString()));
        var limited = await ledger.DeliveriesAsync($"customer={customer}&limit=2");
        Assert.Equal(listed.Take(2).Select(d => d.GetProperty("id").GetString()), limited.Select(d => d.GetProperty("id").GetString()));
        Assert.Empty(await ledger.DeliveriesAsync($"customer={customer}&status=failed"));
    }
}
