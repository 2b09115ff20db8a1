using Ledger.Tests.Support;
using Npgsql;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Hosting;

/// <summary>The database itself refuses to change or remove stored events, whoever asks.</summary>
[Collection(LedgerCollection.Name)]
public sealed class when_anyone_tries_to_change_stored_events(LedgerFixture ledger)
{
    private const string InsufficientPrivilege = "42501";

    [Fact]
    public async Task an_update_is_refused_by_the_database_and_the_rows_are_unchanged()
    {
        var source = await StoredEvents();
        var before = await Rows(source);

        var refused = await Assert.ThrowsAsync<PostgresException>(() =>
            Execute("update ledger.mt_events set type = type where data ->> 'source' = $1", source));

        AssertRefusedAsAppendOnly(refused);
        Assert.Equal(before, await Rows(source));
    }

    [Fact]
    public async Task a_delete_is_refused_by_the_database_and_the_rows_are_unchanged()
    {
        var source = await StoredEvents();
        var before = await Rows(source);

        var refused = await Assert.ThrowsAsync<PostgresException>(() =>
            Execute("delete from ledger.mt_events where data ->> 'source' = $1", source));

        AssertRefusedAsAppendOnly(refused);
        Assert.Equal(before, await Rows(source));
    }

    [Fact]
    public async Task a_truncate_is_refused_by_the_database_and_the_rows_are_unchanged()
    {
        var source = await StoredEvents();
        var before = await Rows(source);

        // inside a transaction that is rolled back, so a missing guard fails this test without emptying the shared log
        await using (var connection = await ledger.Database.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var truncate = new NpgsqlCommand("truncate ledger.mt_events", connection, transaction);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => truncate.ExecuteNonQueryAsync());
            AssertRefusedAsAppendOnly(refused);
        }

        Assert.Equal(before, await Rows(source));
    }

    [Fact]
    public async Task deleting_a_stream_is_refused_by_the_database()
    {
        var source = await StoredEvents();

        var refused = await Assert.ThrowsAsync<PostgresException>(() => Execute(
            "delete from ledger.mt_streams where id in (select stream_id from ledger.mt_events where data ->> 'source' = $1)",
            source));

        AssertRefusedAsAppendOnly(refused);
        Assert.Equal(2, await ledger.StoredCountAsync(source));
    }

    private static void AssertRefusedAsAppendOnly(PostgresException refused)
    {
        Assert.Equal(InsufficientPrivilege, refused.SqlState);
        Assert.Contains("append-only", refused.MessageText);
    }

    private async Task<string> StoredEvents()
    {
        var source = CloudEvents.NewSource();
        var report = await AssertReportAsync(await ledger.Client.PostBatchAsync(
            [CloudEvents.Usage(source, "evt-1"), CloudEvents.Usage(source, "evt-2")]));
        Assert.Equal(2, report.Count("accepted"));
        return source;
    }

    private async Task Execute(string sql, string source)
    {
        await using var cmd = ledger.Database.CreateCommand(sql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = source });
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Every column of the source's events, as text, in log order.</summary>
    private async Task<List<string>> Rows(string source)
    {
        await using var cmd = ledger.Database.CreateCommand(
            "select e::text from ledger.mt_events e where data ->> 'source' = $1 order by seq_id");
        cmd.Parameters.Add(new NpgsqlParameter { Value = source });
        var rows = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        Assert.Equal(2, rows.Count);
        return rows;
    }
}
