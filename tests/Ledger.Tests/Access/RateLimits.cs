using System.Net;
using System.Text.Json.Nodes;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Access;

[Collection(LedgerCollection.Name)]
public sealed class when_a_key_is_over_its_request_rate_limit(LedgerFixture ledger)
{
    [Fact]
    public async Task further_requests_are_429_problems_with_a_retry_after_header_in_whole_seconds()
    {
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["audit:read"], requestsPerSecond: 1)).Key);
        var source = CloudEvents.NewSource();

        var first = await client.GetEventAsync(source, "never-sent");
        var rest = new List<HttpResponseMessage>();
        for (var i = 0; i < 5; i++) rest.Add(await client.GetEventAsync(source, "never-sent"));

        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        var refused = rest.FirstOrDefault(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.True(refused is not null, $"6 requests at 1 request/s were all admitted: {string.Join(", ", rest.Select(r => (int)r.StatusCode))}");
        var problem = await AssertProblemAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.True(refused.Headers.TryGetValues("Retry-After", out var values), "no Retry-After header");
        var retryAfter = values.Single();
        Assert.True(int.TryParse(retryAfter, out var seconds) && seconds >= 1, $"Retry-After is \"{retryAfter}\"");
        Assert.Equal(seconds, problem.GetProperty("retry_after_seconds").GetInt32());
    }

    [Fact]
    public async Task other_keys_are_still_admitted()
    {
        using var limited = ledger.ClientWithKey((await ledger.IssueKeyAsync(["audit:read"], requestsPerSecond: 1)).Key);
        using var other = ledger.ClientWithKey((await ledger.IssueKeyAsync(["audit:read"], requestsPerSecond: 1)).Key);
        var source = CloudEvents.NewSource();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++) statuses.Add((await limited.GetEventAsync(source, "never-sent")).StatusCode);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);

        var response = await other.GetEventAsync(source, "never-sent");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

/// <summary>
/// The event bucket of a key holds max(events_per_second, 10,000 = the largest batch) tokens, so that any
/// key can always send one full batch: with events_per_second = 1 a fresh key may still send 10,000
/// events at once, and a batch of 20 is only refused once the burst is spent. The test spends 9,997
/// tokens in one accepted batch, leaving 3 (plus 1 per second): a batch of 20 is then refused unless
/// 17 s went by, and a batch of 3 fits. Deterministic without sleeping.
/// </summary>
[Collection(LedgerCollection.Name)]
public sealed class when_a_key_is_over_its_event_rate_limit(LedgerFixture ledger)
{
    private const int Burst = 10_000, Left = 3;

    [Fact]
    public async Task a_batch_larger_than_the_tokens_left_is_a_429_problem_with_retry_after_and_nothing_of_it_is_stored_while_a_batch_that_fits_is_accepted()
    {
        var customer = NewCustomer();
        using var client = ledger.ClientWithKey((await ledger.IssueKeyAsync(["ingest"], eventsPerSecond: 1)).Key);
        var spend = CloudEvents.NewSource("spend");
        var spent = await AssertReportAsync(await client.PostBatchAsync(
            Enumerable.Range(0, Burst - Left).Select(i => CloudEvents.Usage(spend, $"evt-{i}", customer))));
        Assert.Equal(Burst - Left, spent.Count("accepted"));

        var tooMany = CloudEvents.NewSource("too-many");
        var refused = await client.PostBatchAsync(Enumerable.Range(0, 20).Select(i => CloudEvents.Usage(tooMany, $"evt-{i}", customer)));

        var problem = await AssertProblemAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.True(refused.Headers.TryGetValues("Retry-After", out var values) && int.TryParse(values.Single(), out var seconds) && seconds >= 1,
            $"Retry-After: {string.Join(",", refused.Headers.TryGetValues("Retry-After", out var v) ? v : [])}");
        Assert.True(problem.GetProperty("retry_after_seconds").GetInt32() >= 1, problem.ToString());
        Assert.Equal(0, await ledger.StoredCountAsync(tooMany));

        var fits = CloudEvents.NewSource("fits");
        var accepted = await AssertReportAsync(await client.PostBatchAsync(Enumerable.Range(0, Left).Select(i => CloudEvents.Usage(fits, $"evt-{i}", customer))));
        Assert.Equal(Left, accepted.Count("accepted"));
        Assert.Equal(Left, await ledger.StoredCountAsync(fits));
    }
}
