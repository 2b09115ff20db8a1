using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Audit;

/// <summary>The chainer, off the append path, covers every committed event, and verify recomputes it.</summary>
[Collection(LedgerCollection.Name)]
public sealed class when_events_are_ingested(LedgerFixture ledger)
{
    [Fact]
    public async Task the_chain_covers_every_committed_event_and_verifies_valid()
    {
        var source = CloudEvents.NewSource("audit");
        await AssertReportAsync(await ledger.Client.PostBatchAsync(Enumerable.Range(1, 200).Select(i => CloudEvents.Usage(source, $"e{i}"))));
        var sequences = await AuditProbes.SequencesAsync(ledger.Database, source);
        Assert.Equal(200, sequences.Count);

        await AuditProbes.WaitForChainAsync(ledger.Database, sequences[^1]);

        await using (var chained = ledger.Database.CreateCommand("select count(*) from ledger.event_chain where seq = any($1)"))
        {
            chained.Parameters.Add(new() { Value = sequences.ToArray() });
            Assert.Equal(200L, (long)(await chained.ExecuteScalarAsync())!);
        }
        var report = await ledger.Client.VerifyAsync();
        Assert.True(report.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.False(report.TryGetProperty("first_broken", out _));
        Assert.True(report.GetProperty("sequence").GetInt64() >= sequences[^1]);
        Assert.True(report.GetProperty("checked").GetInt64() >= 200);
    }

    [Fact]
    public async Task every_event_below_the_chain_head_is_chained()
    {
        var source = CloudEvents.NewSource("audit");
        await AssertReportAsync(await ledger.Client.PostBatchAsync([CloudEvents.Usage(source, "e1")]));
        await AuditProbes.WaitForChainAsync(ledger.Database, (await AuditProbes.SequencesAsync(ledger.Database, source))[^1]);

        await using var missing = ledger.Database.CreateCommand("""
            select count(*) from ledger.mt_events e
            where e.seq_id <= (select seq from ledger.event_chain_head)
              and not exists (select 1 from ledger.event_chain c where c.seq = e.seq_id)
            """);
        Assert.Equal(0L, (long)(await missing.ExecuteScalarAsync())!);
    }
}
