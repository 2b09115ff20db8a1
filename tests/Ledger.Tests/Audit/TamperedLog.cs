using Ledger.Audit;
using Ledger.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Npgsql;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Audit;

/// <summary>
/// A superuser bypasses the database guards (<c>session_replication_role = replica</c> turns the triggers
/// off) and alters, deletes or forges an event row; verify names exactly that sequence and what was done.
/// </summary>
/// <remarks>
/// On a database of its own (on the suite's PostgreSQL): the forged row needs a gap in the sequence,
/// which would hold the suite's projection daemon up. Each scenario tampers inside a transaction, runs
/// the verifier on that same transaction, and rolls back, so the log is never left tampered.
/// </remarks>
[Collection(LedgerCollection.Name)]
public sealed class when_a_superuser_tampers_with_the_log(LedgerFixture ledger)
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static TamperLedger? _shared;

    private sealed record TamperLedger(WebApplicationFactory<Program> Factory, NpgsqlDataSource Db, string Source, List<long> Sequences, long Gap)
    {
        public string PublicKey => Factory.Services.GetRequiredService<AuditSigningKey>().PublicKeyPem;
    }

    [Fact]
    public async Task an_altered_event_is_named_as_altered()
    {
        var log = await LedgerAsync();
        var target = log.Sequences[2];

        var report = await TamperedAsync(log, $"update ledger.mt_events set data = jsonb_set(data, '{{meters,input}}', '999999') where seq_id = {target}");

        AssertBroken(report, target, "altered");
        Assert.Equal(log.Source, report.FirstBroken!.Source);
        Assert.Equal("e3", report.FirstBroken.Id);
    }

    [Fact]
    public async Task a_deleted_event_is_named_as_deleted()
    {
        var log = await LedgerAsync();
        var target = log.Sequences[6];

        var report = await TamperedAsync(log, $"delete from ledger.mt_events where seq_id = {target}");

        AssertBroken(report, target, "deleted");
        Assert.Equal(log.Source, report.FirstBroken!.Source); // named from the rated-usage projection, which still holds it
        Assert.Equal("e7", report.FirstBroken.Id);
    }

    [Fact]
    public async Task a_forged_event_in_a_sequence_gap_is_named_as_inserted()
    {
        var log = await LedgerAsync();

        var report = await TamperedAsync(log, $$"""
            insert into ledger.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, headers)
            select {{log.Gap}}, gen_random_uuid(), stream_id, 99, jsonb_set(data, '{eventId}', '"forged"'), type, timestamp, tenant_id, mt_dotnet_type, headers
            from ledger.mt_events where seq_id = {{log.Sequences[0]}}
            """);

        AssertBroken(report, log.Gap, "inserted");
        Assert.Equal("forged", report.FirstBroken!.Id);
    }

    [Fact]
    public async Task a_checkpoint_with_a_forged_signature_is_refused_as_a_starting_point()
    {
        var log = await LedgerAsync();
        var checkpoint = await Checkpoints.CreateAsync(log.Db, log.Factory.Services.GetRequiredService<AuditSigningKey>(), SystemClock.Instance, default);

        var report = await TamperedAsync(log,
            $"update ledger.audit_checkpoints set chained = chained + 1 where id = {checkpoint.Id}", fromCheckpoint: checkpoint.Id);

        AssertBroken(report, checkpoint.Sequence, "checkpoint signature invalid");
    }

    [Fact]
    public async Task a_rewritten_chain_is_caught_by_a_signed_checkpoint()
    {
        var log = await LedgerAsync();
        await Checkpoints.CreateAsync(log.Db, log.Factory.Services.GetRequiredService<AuditSigningKey>(), SystemClock.Instance, default);
        var target = log.Sequences[1];

        // the forger alters an event and recomputes every stored hash after it, but cannot re-sign the checkpoint
        var report = await TamperedAsync(log, $"update ledger.mt_events set data = jsonb_set(data, '{{meters,input}}', '1') where seq_id = {target}",
            rechain: target);

        Assert.False(report.Valid);
        Assert.Equal("checkpoint mismatch", report.FirstBroken!.Reason);
    }

    [Fact]
    public async Task the_untampered_log_verifies_valid_after_every_scenario()
    {
        var log = await LedgerAsync();
        await using var conn = await log.Db.OpenConnectionAsync();

        var report = await Verifier.VerifyAsync(conn, null, [log.PublicKey], null, default);

        Assert.True(report.Valid, report.FirstBroken?.ToString());
        Assert.Equal(log.Sequences[^1], report.Sequence);
    }

    private static void AssertBroken(VerifyReport report, long sequence, string reason)
    {
        Assert.False(report.Valid);
        Assert.NotNull(report.FirstBroken);
        Assert.Equal(reason, report.FirstBroken!.Reason);
        Assert.Equal(sequence, report.FirstBroken.Sequence);
    }

    /// <summary>Tampers, as a superuser with the triggers off, verifies on the same transaction, rolls back.</summary>
    private static async Task<VerifyReport> TamperedAsync(TamperLedger log, string sql, long? fromCheckpoint = null, long? rechain = null)
    {
        await using var conn = await log.Db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        try
        {
            await using (var replica = new NpgsqlCommand("set local session_replication_role = replica", conn, tx)) await replica.ExecuteNonQueryAsync();
            await using (var tamper = new NpgsqlCommand(sql, conn, tx)) Assert.Equal(1, await tamper.ExecuteNonQueryAsync());
            if (rechain is { } from) await RechainAsync(conn, tx, from);
            return await Verifier.VerifyAsync(conn, tx, [log.PublicKey], fromCheckpoint, default);
        }
        finally
        {
            await tx.RollbackAsync();
        }
    }

    /// <summary>What a forger with the chain's rule would do: recompute every stored hash from <paramref name="from"/> on.</summary>
    private static async Task RechainAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long from)
    {
        byte[] previous;
        await using (var prior = new NpgsqlCommand("select hash from ledger.event_chain where seq < $1 order by seq desc limit 1", conn, tx)
            { Parameters = { new() { Value = from } } })
            previous = await prior.ExecuteScalarAsync() as byte[] ?? ChainHash.Genesis;
        var rows = new List<ChainRow>();
        await using (var read = new NpgsqlCommand($"select {ChainHash.RowColumns} from ledger.mt_events e where e.seq_id >= $1 order by e.seq_id", conn, tx)
            { Parameters = { new() { Value = from } } })
        await using (var reader = await read.ExecuteReaderAsync())
            while (await reader.ReadAsync()) rows.Add(ChainHash.Read(reader));
        foreach (var row in rows)
        {
            previous = ChainHash.Next(previous, row);
            await using var update = new NpgsqlCommand("update ledger.event_chain set hash = $2 where seq = $1", conn, tx)
                { Parameters = { new() { Value = row.Seq }, new() { Value = previous } } };
            await update.ExecuteNonQueryAsync();
        }
    }

    /// <summary>One ledger on a throwaway database for the whole class: ten usage events with a sequence gap among them, all chained and rated.</summary>
    private async Task<TamperLedger> LedgerAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _shared ??= await StartAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    private async Task<TamperLedger> StartAsync()
    {
        var database = $"tamper_{Guid.NewGuid():N}";
        await using (var create = ledger.Database.CreateCommand($"create database {database}")) await create.ExecuteNonQueryAsync();
        var connectionString = new NpgsqlConnectionStringBuilder(ledger.ConnectionString) { Database = database }.ConnectionString;
        var factory = LedgerFixture.CreateFactory(connectionString, ledger.AdminKey, SystemClock.Instance);
        var db = NpgsqlDataSource.Create(connectionString);
        ledger.OnDispose(async () =>
        {
            await factory.DisposeAsync();
            await db.DisposeAsync();
            await using var drop = ledger.Database.CreateCommand($"drop database if exists {database} with (force)");
            await drop.ExecuteNonQueryAsync();
        });
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ledger.AdminKey);
        await LedgerFixture.WaitUntilReady(client);

        var source = CloudEvents.NewSource("tamper");
        await AssertReportAsync(await client.PostBatchAsync(Enumerable.Range(1, 5).Select(i => CloudEvents.Usage(source, $"e{i}"))));
        long gap;
        await using (var skip = db.CreateCommand("select nextval('ledger.mt_events_sequence')")) gap = (long)(await skip.ExecuteScalarAsync())!;
        await AssertReportAsync(await client.PostBatchAsync(Enumerable.Range(6, 5).Select(i => CloudEvents.Usage(source, $"e{i}"))));
        var sequences = await AuditProbes.SequencesAsync(db, source);
        Assert.Equal(10, sequences.Count);
        Assert.True(sequences[4] < gap && gap < sequences[5]);
        await AuditProbes.WaitForChainAsync(db, sequences[^1]);
        for (var i = 0; i < 200; i++)
        {
            await using var rated = db.CreateCommand("select count(*) from ledger.rated_usage where source = $1");
            rated.Parameters.Add(new() { Value = source });
            if ((long)(await rated.ExecuteScalarAsync())! == 10) break;
            await Task.Delay(100);
        }
        return new TamperLedger(factory, db, source, sequences, gap);
    }
}
