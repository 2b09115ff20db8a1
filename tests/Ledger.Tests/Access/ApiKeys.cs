using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Access;

[Collection(LedgerCollection.Name)]
public sealed class when_an_api_key_is_issued(LedgerFixture ledger)
{
    [Fact]
    public async Task the_answer_is_a_201_with_the_key_in_the_ledger_format_its_id_and_its_prefix()
    {
        var response = await ledger.Client.PostKeyRequestAsync("""{"name":"issued once","scopes":["finance:read"]}""");

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"expected 201, got {(int)response.StatusCode}: {body}");
        var issued = JsonDocument.Parse(body).RootElement;
        var key = issued.GetProperty("key").GetString()!;
        var id = issued.GetProperty("id").GetString()!;
        Assert.Matches(new Regex("^ldg_[0-9a-f]{16}_[A-Za-z0-9_-]{22,}$"), key);
        Assert.Equal($"ldg_{id}_", key[..(4 + 16 + 1)]);
        Assert.Equal($"ldg_{id}", issued.GetProperty("prefix").GetString());
        Assert.Equal(["finance:read"], issued.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task the_key_it_returns_authenticates_requests()
    {
        var key = await ledger.IssueKeyAsync(["finance:read"]);
        using var client = ledger.ClientWithKey(key.Key);

        var response = await client.GetEventAsync(CloudEvents.NewSource(), "never-sent");

        await AssertProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task the_list_shows_its_prefix_scopes_and_creation_time_but_never_its_secret_or_any_hash()
    {
        var customer = NewCustomer();
        var key = await ledger.IssueKeyAsync(["customer:read"], customerId: customer);

        var (entry, body) = await ledger.ListedKeyAsync(key.Id);

        Assert.Equal($"ldg_{key.Id}", entry.GetProperty("prefix").GetString());
        Assert.Equal(["customer:read"], entry.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(customer, entry.GetProperty("customer_id").GetString());
        Assert.True(DateTimeOffset.TryParse(entry.GetProperty("created_at").GetString(), out _), entry.ToString());
        var secret = key.Key[(4 + 16 + 1)..];
        Assert.DoesNotContain(key.Key, body);
        Assert.DoesNotContain(secret, body);
        Assert.DoesNotContain("secret", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("hash", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("salt", body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task the_list_shows_no_last_use_before_it_is_used_and_a_last_use_right_after()
    {
        var key = await ledger.IssueKeyAsync(["audit:read"]);
        var (before, _) = await ledger.ListedKeyAsync(key.Id);
        Assert.True(!before.TryGetProperty("last_used_at", out var unused) || unused.ValueKind == JsonValueKind.Null, before.ToString());

        using var client = ledger.ClientWithKey(key.Key);
        await client.GetEventAsync(CloudEvents.NewSource(), "never-sent");

        var (after, _) = await ledger.ListedKeyAsync(key.Id);
        Assert.True(after.TryGetProperty("last_used_at", out var used) && used.ValueKind == JsonValueKind.String, after.ToString());
        Assert.True(DateTimeOffset.TryParse(used.GetString(), out _), after.ToString());
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_an_api_key_is_revoked(LedgerFixture ledger)
{
    [Fact]
    public async Task the_delete_is_a_204_and_the_very_next_request_with_the_key_is_a_401_problem()
    {
        var key = await ledger.IssueKeyAsync(["audit:read"]);
        using var client = ledger.ClientWithKey(key.Key);
        var source = CloudEvents.NewSource();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetEventAsync(source, "never-sent")).StatusCode);

        var revoke = await ledger.Client.DeleteAsync($"/v1/api-keys/{key.Id}");

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        var response = await client.GetEventAsync(source, "never-sent");
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, field: "Authorization");
    }

    [Fact]
    public async Task a_revoked_ingest_key_stores_nothing_more()
    {
        var key = await ledger.IssueKeyAsync(["ingest"]);
        using var client = ledger.ClientWithKey(key.Key);
        var source = CloudEvents.NewSource();
        await AssertReportAsync(await client.PostAsync(CloudEvents.Usage(source, "evt-1"), CloudEvents.Single));

        Assert.Equal(HttpStatusCode.NoContent, (await ledger.Client.DeleteAsync($"/v1/api-keys/{key.Id}")).StatusCode);

        var response = await client.PostAsync(CloudEvents.Usage(source, "evt-2"), CloudEvents.Single);
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, field: "Authorization");
        Assert.Equal(1, await ledger.StoredCountAsync(source));
    }

    [Fact]
    public async Task the_list_shows_when_it_was_revoked()
    {
        var key = await ledger.IssueKeyAsync(["audit:read"]);
        var (before, _) = await ledger.ListedKeyAsync(key.Id);
        Assert.True(!before.TryGetProperty("revoked_at", out var none) || none.ValueKind == JsonValueKind.Null, before.ToString());

        Assert.Equal(HttpStatusCode.NoContent, (await ledger.Client.DeleteAsync($"/v1/api-keys/{key.Id}")).StatusCode);

        var (after, _) = await ledger.ListedKeyAsync(key.Id);
        Assert.True(after.TryGetProperty("revoked_at", out var revoked) && revoked.ValueKind == JsonValueKind.String, after.ToString());
    }

    [Fact]
    public async Task revoking_it_again_is_still_a_204_and_it_stays_refused()
    {
        var key = await ledger.IssueKeyAsync(["audit:read"]);
        Assert.Equal(HttpStatusCode.NoContent, (await ledger.Client.DeleteAsync($"/v1/api-keys/{key.Id}")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await ledger.Client.DeleteAsync($"/v1/api-keys/{key.Id}")).StatusCode);

        using var client = ledger.ClientWithKey(key.Key);
        await AssertProblemAsync(await client.GetEventAsync(CloudEvents.NewSource(), "x"), HttpStatusCode.Unauthorized, field: "Authorization");
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_an_unknown_api_key_is_revoked(LedgerFixture ledger)
{
    [Fact]
    public async Task it_is_a_404_problem()
    {
        var neverIssued = Ledger.Access.ApiKeySecrets.Generate().KeyId;

        var response = await ledger.Client.DeleteAsync($"/v1/api-keys/{neverIssued}");

        await AssertProblemAsync(response, HttpStatusCode.NotFound);
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_an_api_key_request_is_invalid(LedgerFixture ledger)
{
    [Theory]
    [InlineData("""{"name":"k"}""", "scopes")]
    [InlineData("""{"name":"k","scopes":[]}""", "scopes")]
    [InlineData("""{"name":"k","scopes":["superuser"]}""", "scopes")]
    [InlineData("""{"name":"k","scopes":["audit:read","Admin"]}""", "scopes")]
    [InlineData("""{"name":"k","scopes":["customer:read"]}""", "customer_id")]
    [InlineData("""{"name":"k","scopes":["customer:read"],"customer_id":"  "}""", "customer_id")]
    [InlineData("""{"name":"k","scopes":["finance:read"],"customer_id":"c1"}""", "customer_id")]
    [InlineData("""{"name":"k","scopes":["audit:read"],"sources":["//s"]}""", "sources")]
    [InlineData("""{"name":"k","scopes":["ingest"],"rate_limit":{"requests_per_second":0}}""", "rate_limit")]
    [InlineData("""{"name":"k","scopes":["ingest"],"rate_limit":{"requests_per_second":-1}}""", "rate_limit")]
    [InlineData("""{"name":"k","scopes":["ingest"],"rate_limit":{"events_per_second":0}}""", "rate_limit")]
    [InlineData("""{"name":"k","scopes":["ingest"],"rate_limit":{"requests_per_second":5,"events_per_second":-5}}""", "rate_limit")]
    public async Task it_is_a_400_problem_naming_the_field_and_no_key_is_issued(string body, string field)
    {
        var keysBefore = await KeyCountAsync();

        var response = await ledger.Client.PostKeyRequestAsync(body);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, field: field);
        Assert.Equal(keysBefore, await KeyCountAsync());
    }

    private async Task<int> KeyCountAsync() =>
        (await (await ledger.Client.GetAsync("/v1/api-keys")).JsonAsync()).GetArrayLength();
}
