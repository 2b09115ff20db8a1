using System.Net;
using Ledger.Access;
using Ledger.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Tests.Access;

/// <summary>
/// Keys issued or revoked on this node must take effect on the very next request, also when the
/// key ring's periodic refresh from the database (every 5 s in the background) runs at the same
/// moment. To make that moment likely rather than a matter of luck, these tests refresh the ring in a
/// tight loop while they issue and revoke keys through the API.
/// </summary>
[Collection(LedgerCollection.Name)]
public sealed class when_keys_are_issued_and_revoked_while_the_key_ring_refreshes(LedgerFixture ledger)
{
    private const int Rounds = 100;

    [Fact]
    public async Task each_revoked_key_is_refused_on_the_very_next_request()
    {
        var acceptedAfterRevocation = await WhileRefreshing(async () =>
        {
            var accepted = new List<string>();
            for (var i = 0; i < Rounds; i++)
            {
                var key = await ledger.IssueKeyAsync(["audit:read"]);
                using var client = ledger.ClientWithKey(key.Key);
                Assert.Equal(HttpStatusCode.NoContent, (await ledger.Client.DeleteAsync($"/v1/api-keys/{key.Id}")).StatusCode);
                var response = await client.GetEventAsync(CloudEvents.NewSource(), "never-sent");
                if (response.StatusCode != HttpStatusCode.Unauthorized) accepted.Add($"{key.Id}: {(int)response.StatusCode}");
            }
            return accepted;
        });

        Assert.True(acceptedAfterRevocation.Count == 0,
            $"{acceptedAfterRevocation.Count} of {Rounds} revoked keys were still accepted: {string.Join(", ", acceptedAfterRevocation)}");
    }

    [Fact]
    public async Task each_issued_key_is_admitted_on_the_very_next_request()
    {
        var refusedAfterIssue = await WhileRefreshing(async () =>
        {
            var refused = new List<string>();
            for (var i = 0; i < Rounds; i++)
            {
                var key = await ledger.IssueKeyAsync(["audit:read"]);
                using var client = ledger.ClientWithKey(key.Key);
                var response = await client.GetEventAsync(CloudEvents.NewSource(), "never-sent");
                if (response.StatusCode == HttpStatusCode.Unauthorized) refused.Add(key.Id);
            }
            return refused;
        });

        Assert.True(refusedAfterIssue.Count == 0,
            $"{refusedAfterIssue.Count} of {Rounds} freshly issued keys were refused with 401: {string.Join(", ", refusedAfterIssue)}");
    }

    private async Task<List<string>> WhileRefreshing(Func<Task<List<string>>> work)
    {
        var ring = ledger.Factory.Services.GetRequiredService<ApiKeyRing>();
        using var stop = new CancellationTokenSource();
        var refresher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested) await ring.ReloadAsync();
        });
        try
        {
            return await work();
        }
        finally
        {
            await stop.CancelAsync();
            await refresher;
        }
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_keys_are_issued_concurrently_on_one_node(LedgerFixture ledger)
{
    [Fact]
    public async Task each_is_admitted_on_the_very_next_request()
    {
        var refused = new List<string>();
        for (var round = 0; round < 20; round++)
        {
            var keys = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => ledger.IssueKeyAsync(["audit:read"])));
            foreach (var key in keys)
            {
                using var client = ledger.ClientWithKey(key.Key);
                var response = await client.GetEventAsync(CloudEvents.NewSource(), "never-sent");
                if (response.StatusCode == HttpStatusCode.Unauthorized) refused.Add(key.Id);
            }
        }

        Assert.True(refused.Count == 0, $"{refused.Count} of 400 keys issued 20 at a time were refused with 401: {string.Join(", ", refused)}");
    }
}
