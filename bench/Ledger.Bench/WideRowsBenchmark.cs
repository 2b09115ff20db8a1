using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ledger.Hosting;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.Bench;

/// <summary>
/// "Fewer, wider rows" measured at the database level only (docs/performance.md, "The way to 40k"): no ledger,
/// no HTTP, no Marten. A private PostgreSQL with the ledger's embedded settings; N writers commit batches of B
/// usage events in one of these shapes, each run in fresh tables of its own (a schema per run):
/// <list type="bullet">
/// <item><c>narrow</c>: today's rows, a copy of Marten's <c>mt_events</c> (heap, primary key on seq_id, unique
/// (stream_id, version), unique id, foreign key to a copy of <c>mt_streams</c>), one row per event, written as
/// <c>BulkAppend</c> writes them after the look-up <c>UsageLog</c> does.</item>
/// <item><c>wide</c>: one <c>mt_events</c>-shaped row per batch holding the batch's usage lines as a jsonb array,
/// plus a key table (event_id primary key → batch_seq, position) filled with
/// <c>insert … on conflict do nothing returning</c> (what is not returned is a duplicate).</item>
/// <item><c>wide-copy</c>: as wide, but the keys go by binary COPY into a temp table, then
/// <c>insert … select … on conflict do nothing returning</c>.</item>
/// <item><c>wide-noret</c>: as wide, without <c>returning</c> (the row count only). <c>wide-lz4</c>: as wide, lz4 on the batch rows' data.</item>
/// </list>
/// Per run: events/s committed, PostgreSQL CPU per event (utime + stime of the postmaster and its children, from
/// /proc), this process's CPU per event; then the read side a projection would do (pages of 5,000 events, every
/// usage line deserialized with System.Text.Json); then checks (distinct events stored, a 10% re-send all
/// duplicates).
/// </summary>
public static class WideRowsBenchmark
{
    private sealed record Line(string CustomerId, string Source, string EventId, string Type, DateTimeOffset UsageAt,
        DateTimeOffset RecordedAt, Dictionary<string, decimal> Meters, Dictionary<string, string> Dimensions, string ContentHash);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Data(Guid[][] Ids, string[][] Lines, string[] Arrays, int[] Positions, double BytesPerLine);

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var events = args.Int("events", 500_000);
        var batchSize = args.Int("batch", 1000);
        var writers = args.Int("writers", 8);
        var warmup = args.Int("warmup", 50_000);
        var rounds = args.Int("rounds", 2);
        var shapes = (args.String("shapes") ?? "narrow,wide").Split(',', StringSplitOptions.RemoveEmptyEntries);

        var dataDirectory = Path.Combine(Path.GetTempPath(), $"ledger-wide-{Guid.NewGuid():N}");
        await using var pg = await EmbeddedPostgres.StartAsync(dataDirectory);
        try
        {
            var postmaster = int.Parse(File.ReadLines(Path.Combine(pg.DataDirectory, "postmaster.pid")).First());
            await using var db = NpgsqlDataSource.Create(pg.ConnectionString);
            var warmBatches = Math.Max(1, warmup / batchSize);
            var timedBatches = (events + batchSize - 1) / batchSize;
            var data = Build(warmBatches + timedBatches, batchSize);
            Console.WriteLine($"wide: {timedBatches * batchSize:N0} events timed after {warmBatches * batchSize:N0} of warm-up, batches of {batchSize}, " +
                              $"{writers} writers, {Environment.ProcessorCount} cores, shapes {string.Join(", ", shapes)} × {rounds}; " +
                              $"usage line {data.BytesPerLine:N0} bytes of JSON");
            Console.WriteLine("postgres cpu = utime+stime of the postmaster, its live children and its reaped children (/proc/<pid>/stat)");
            var ok = true;
            var run = 0;
            for (var r = 0; r < rounds; r++)
                foreach (var shape in shapes)
                    ok &= await RunShapeAsync(db, postmaster, $"r{++run}_{shape.Replace('-', '_')}", shape, data, warmBatches, writers);
            Console.WriteLine(ok ? "checks: PASS" : "checks: FAIL");
            return ok ? 0 : 1;
        }
        finally
        {
            await pg.DisposeAsync();
            if (Directory.Exists(pg.DataDirectory)) Directory.Delete(pg.DataDirectory, true);
        }
    }

    /// <summary>Usage lines shaped as Marten serializes <c>UsageRecorded</c> (~300 bytes), name-based ids as the ledger computes them.</summary>
    private static Data Build(int batches, int batchSize)
    {
        var source = "//bench/wide-rows";
        var usageAt = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm:ss.fff'Z'");
        var recordedAt = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffffff'Z'");
        var ids = new Guid[batches][];
        var lines = new string[batches][];
        var arrays = new string[batches];
        long bytes = 0;
        for (var b = 0; b < batches; b++)
        {
            ids[b] = new Guid[batchSize];
            lines[b] = new string[batchSize];
            for (var j = 0; j < batchSize; j++)
            {
                var i = b * batchSize + j;
                var eventId = $"evt-{i}";
                var key = MD5.HashData(Encoding.UTF8.GetBytes($"{source}\n{eventId}"));
                key[6] = (byte)((key[6] & 0x0F) | 0x30); // version 3 (name-based), as EventKey does in spirit
                key[8] = (byte)((key[8] & 0x3F) | 0x80);
                ids[b][j] = new Guid(key, bigEndian: true);
                var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes($"{eventId}|{i % 977}|{i % 311}")));
                lines[b][j] =
                    $"{{\"customerId\":\"customer-{i % 100}\",\"source\":\"{source}\",\"eventId\":\"{eventId}\",\"type\":\"ai.usage\"," +
                    $"\"usageAt\":\"{usageAt}\",\"recordedAt\":\"{recordedAt}\"," +
                    $"\"meters\":{{\"input_tokens\":{1000 + i % 977},\"output_tokens\":{200 + i % 311},\"cached_input_tokens\":{(i % 5 == 0 ? 512 : 0)}}}," +
                    $"\"dimensions\":{{\"model\":\"gpt-4o\",\"mode\":\"realtime\"}},\"extensions\":null,\"contentHash\":\"{hash}\"}}";
                bytes += lines[b][j].Length;
            }
            arrays[b] = "[" + string.Join(',', lines[b]) + "]";
        }
        return new Data(ids, lines, arrays, Enumerable.Range(0, batchSize).ToArray(), (double)bytes / (batches * batchSize));
    }

    private static async Task<bool> RunShapeAsync(NpgsqlDataSource db, int postmaster, string schema, string shape, Data data, int warmBatches, int writers)
    {
        var narrow = shape == "narrow";
        await Exec(db, Schema(schema, narrow) + (shape.EndsWith("-lz4") ? $"; alter table {schema}.mt_events alter column data set compression lz4" : "") + "; checkpoint");
        Func<NpgsqlConnection, int, Guid[], Task<int>> write = shape switch
        {
            "narrow" => (c, b, ids) => WriteNarrowAsync(c, schema, b, ids, data),
            "wide" => (c, b, ids) => WriteWideAsync(c, schema, b, ids, data, KeysBy.Unnest),
            "wide-copy" => (c, b, ids) => WriteWideAsync(c, schema, b, ids, data, KeysBy.Copy),
            "wide-noret" => (c, b, ids) => WriteWideAsync(c, schema, b, ids, data, KeysBy.UnnestNoReturning),
            "wide-lz4" => (c, b, ids) => WriteWideAsync(c, schema, b, ids, data, KeysBy.Unnest),
            _ => throw new ArgumentException($"unknown shape {shape}")
        };
        var batchSize = data.Ids[0].Length;
        var batches = data.Ids.Length;
        await WriteAllAsync(db, 0, warmBatches, writers, write, data);
        var load = File.ReadAllText("/proc/loadavg").Trim();

        var statements = (Environment.GetEnvironmentVariable("LEDGER_PG_OPTIONS") ?? "").Contains("pg_stat_statements");
        if (statements) await Exec(db, "create extension if not exists pg_stat_statements; select pg_stat_statements_reset()");
        var pgBefore = PostgresCpu(postmaster);
        var selfBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var accepted = await WriteAllAsync(db, warmBatches, batches, writers, write, data);
        clock.Stop();
        var pgCpu = PostgresCpu(postmaster) - pgBefore;
        var selfCpu = Process.GetCurrentProcess().TotalProcessorTime - selfBefore;
        var timed = (batches - warmBatches) * batchSize;
        if (statements) await PrintStatementsAsync(db, schema, timed);

        // the read side: pages of 5,000 events, every usage line deserialized (first the warm-up's rows, untimed, for the JIT)
        await ReadAllAsync(db, schema, narrow, Math.Max(1, 5000 / (narrow ? 1 : batchSize)), warmBatches * batchSize);
        pgBefore = PostgresCpu(postmaster);
        selfBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var readClock = Stopwatch.StartNew();
        var read = await ReadAllAsync(db, schema, narrow, Math.Max(1, 5000 / (narrow ? 1 : batchSize)), long.MaxValue);
        readClock.Stop();
        var readPg = PostgresCpu(postmaster) - pgBefore;
        var readSelf = Process.GetCurrentProcess().TotalProcessorTime - selfBefore;

        // what a trace page does: 100 events scattered over the log, one statement (each from a different batch when wide)
        var pages = new List<double>();
        var random = new Random(42);
        for (var p = 0; p < 20; p++)
        {
            var pick = new HashSet<Guid>(); while (pick.Count < 100) pick.Add(data.Ids[random.Next(batches)][random.Next(batchSize)]);
            await using var page = db.CreateCommand(narrow
                ? $"select data from {schema}.mt_events where id = any($1)"
                : $"select e.data -> k.position from {schema}.usage_keys k join {schema}.mt_events e on e.seq_id = k.batch_seq where k.event_id = any($1)");
            page.Parameters.Add(new() { Value = pick.ToArray() });
            var started = Stopwatch.GetTimestamp();
            var got = 0;
            await using (var reader = await page.ExecuteReaderAsync())
                while (await reader.ReadAsync()) { _ = reader.GetString(0); got++; }
            if (got != 100) throw new InvalidOperationException($"trace page read {got} of 100 events");
            pages.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        pages.Sort();
        Console.WriteLine($"{schema}: 100 scattered events by id, 20 pages: p50 {pages[10]:N1} ms, max {pages[^1]:N1} ms");

        var total = batches * batchSize;
        var (rows, distinct, lines) = await CountAsync(db, schema, narrow);
        // re-send 10% of one stored batch: all must come back as duplicates
        var resend = data.Ids[warmBatches][..(batchSize / 10)];
        int again;
        await using (var conn = await db.OpenConnectionAsync()) again = await write(conn, warmBatches, resend);
        var (rowsAfter, _, _) = await CountAsync(db, schema, narrow);

        Console.WriteLine($"{schema}: load {load} | write {timed / clock.Elapsed.TotalSeconds:N0} events/s ({timed:N0} in {clock.Elapsed.TotalSeconds:N1} s), " +
                          $"postgres cpu {pgCpu.TotalMicroseconds / timed:N1} µs/event, this process {selfCpu.TotalMicroseconds / timed:N1} µs/event | " +
                          $"read {read / readClock.Elapsed.TotalSeconds:N0} events/s ({read:N0} in {readClock.Elapsed.TotalSeconds:N2} s), " +
                          $"postgres {readPg.TotalMicroseconds / read:N2} µs/event, this process {readSelf.TotalMicroseconds / read:N2} µs/event");
        Console.WriteLine($"{schema}: size {await SizeAsync(db, schema)}");
        var ok = true;
        ok &= Check($"{schema}: stored exactly {total:N0} distinct events", lines == total && distinct == total && read == total,
            $"{(narrow ? "event rows" : "batch rows")} {rows:N0}, usage lines {lines:N0}, distinct keys {distinct:N0}, read back {read:N0}");
        ok &= Check($"{schema}: timed writes all accepted", accepted == timed, $"accepted {accepted:N0}");
        ok &= Check($"{schema}: re-sent {resend.Length} events (10% of a batch) all duplicates", again == 0 && rowsAfter == rows,
            $"accepted {again}, rows {rows:N0} → {rowsAfter:N0}");
        await Exec(db, $"drop schema {schema} cascade");
        return ok;
    }

    private static string Schema(string s, bool narrow) => $"""
        create schema {s};
        create table {s}.mt_streams (
            id varchar not null, type varchar null, version bigint null, timestamp timestamptz not null default (now()),
            created timestamptz not null default (now()), tenant_id varchar null default '*DEFAULT*',
            compacted_version bigint not null default 0, is_archived bool null default false,
            constraint pkey_mt_streams_id primary key (id));
        create table {s}.mt_events (
            seq_id bigint not null, id uuid not null, stream_id varchar null, version bigint not null, data jsonb not null,
            bdata bytea null, type varchar(500) not null, timestamp timestamptz not null default '(now())',
            tenant_id varchar null default '*DEFAULT*', mt_dotnet_type varchar null, headers jsonb null,
            is_archived bool null default false,
            constraint pkey_mt_events_seq_id primary key (seq_id));
        alter table {s}.mt_events add constraint fkey_mt_events_stream_id foreign key (stream_id) references {s}.mt_streams(id) on delete cascade;
        create unique index on {s}.mt_events using btree (stream_id, version);
        create unique index on {s}.mt_events using btree (id);
        create sequence {s}.mt_events_sequence;
        """ + (narrow ? "" : $"""
        ;
        create table {s}.usage_keys (event_id uuid primary key, batch_seq bigint not null, position int not null);
        """);

    private enum KeysBy { Unnest, UnnestNoReturning, Copy }

    private static async Task<long> WriteAllAsync(NpgsqlDataSource db, int from, int to, int writers,
        Func<NpgsqlConnection, int, Guid[], Task<int>> write, Data data)
    {
        var next = from - 1;
        long accepted = 0;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(async _ =>
        {
            await using var conn = await db.OpenConnectionAsync();
            int b;
            while ((b = Interlocked.Increment(ref next)) < to)
                Interlocked.Add(ref accepted, await write(conn, b, data.Ids[b]));
        }));
        return accepted;
    }

    private const string TypeAlias = "usage_recorded";
    private const string DotNetType = "Ledger.Usage.UsageRecorded, Ledger";
    private const string Headers = """{"recorded_by_key":"key_0123456789abcdef"}""";

    /// <summary>Today: look up which ids exist (UsageLog), then stream row + sequence numbers, then one insert over unnest (BulkAppend).</summary>
    private static async Task<int> WriteNarrowAsync(NpgsqlConnection conn, string s, int b, Guid[] ids, Data data)
    {
        var existing = new HashSet<Guid>();
        await using (var lookup = new NpgsqlCommand($"select id, data ->> 'contentHash' from {s}.mt_events where id = any($1)", conn))
        {
            lookup.Parameters.Add(new() { Value = ids });
            await using var reader = await lookup.ExecuteReaderAsync();
            while (await reader.ReadAsync()) { existing.Add(reader.GetGuid(0)); _ = reader.GetString(1); }
        }
        var keep = Enumerable.Range(0, ids.Length).Where(i => !existing.Contains(ids[i])).ToArray();
        if (keep.Length == 0) return 0;
        var freshIds = keep.Select(i => ids[i]).ToArray();
        var lines = keep.Length == data.Lines[b].Length ? data.Lines[b] : keep.Select(i => data.Lines[b][i]).ToArray();
        var streamKey = $"usage-batch/{Guid.CreateVersion7()}";
        var now = DateTime.UtcNow;

        await using var tx = await conn.BeginTransactionAsync();
        var sequences = new long[keep.Length];
        await using (var batch = new NpgsqlBatch(conn, tx))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                $"insert into {s}.mt_streams (id, version, tenant_id, timestamp, created) values ($1, $2, $3, now(), now())")
            { Parameters = { new() { Value = streamKey }, new() { Value = (long)keep.Length }, new() { Value = "*DEFAULT*" } } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"select nextval('{s}.mt_events_sequence') from generate_series(1, $1)")
            { Parameters = { new() { Value = keep.Length } } });
            await using var reader = await batch.ExecuteReaderAsync();
            for (var i = 0; await reader.ReadAsync(); i++) sequences[i] = reader.GetInt64(0);
        }
        Array.Sort(sequences);
        await using (var insert = new NpgsqlCommand($"""
            insert into {s}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, headers)
            select s, i, $3, v, d, $6, t, $8, $9, $10
            from unnest($1::bigint[], $2::uuid[], $4::bigint[], $5::jsonb[], $7::timestamptz[]) as e(s, i, v, d, t)
            """, conn, tx))
        {
            insert.Parameters.Add(new() { Value = sequences });
            insert.Parameters.Add(new() { Value = freshIds });
            insert.Parameters.Add(new() { Value = streamKey });
            insert.Parameters.Add(new() { Value = Enumerable.Range(1, keep.Length).Select(v => (long)v).ToArray() });
            insert.Parameters.Add(new() { Value = lines, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
            insert.Parameters.Add(new() { Value = TypeAlias });
            insert.Parameters.Add(new() { Value = Enumerable.Repeat(now, keep.Length).ToArray() });
            insert.Parameters.Add(new() { Value = "*DEFAULT*" });
            insert.Parameters.Add(new() { Value = DotNetType });
            insert.Parameters.Add(new() { Value = Headers, NpgsqlDbType = NpgsqlDbType.Jsonb });
            await insert.ExecuteNonQueryAsync();
        }
        await tx.CommitAsync();
        return keep.Length;
    }

    /// <summary>
    /// Wide: draw the batch's sequence number and claim its keys in one statement (what is not returned is a
    /// duplicate), then the stream row and the one batch row with the new lines, commit. Position = index in the
    /// stored array (renumbered only when part of a batch was a duplicate).
    /// </summary>
    private static async Task<int> WriteWideAsync(NpgsqlConnection conn, string s, int b, Guid[] ids, Data data, KeysBy keysBy)
    {
        await using var tx = await conn.BeginTransactionAsync();
        long seq;
        await using (var next = new NpgsqlCommand($"select nextval('{s}.mt_events_sequence')", conn, tx))
            seq = (long)(await next.ExecuteScalarAsync())!;
        var positions = ids.Length == data.Positions.Length ? data.Positions : data.Positions[..ids.Length];
        HashSet<Guid>? fresh = null;
        int claimed;
        if (keysBy == KeysBy.Copy)
        {
            await using (var stage = new NpgsqlCommand(
                "create temp table if not exists key_stage (event_id uuid, position int) on commit delete rows", conn, tx))
                await stage.ExecuteNonQueryAsync();
            await using (var copy = await conn.BeginBinaryImportAsync("copy key_stage (event_id, position) from stdin (format binary)"))
            {
                for (var i = 0; i < ids.Length; i++)
                {
                    await copy.StartRowAsync();
                    await copy.WriteAsync(ids[i], NpgsqlDbType.Uuid);
                    await copy.WriteAsync(positions[i], NpgsqlDbType.Integer);
                }
                await copy.CompleteAsync();
            }
            fresh = [];
            await using var claim = new NpgsqlCommand(
                $"insert into {s}.usage_keys (event_id, batch_seq, position) select event_id, $1, position from key_stage on conflict do nothing returning event_id", conn, tx);
            claim.Parameters.Add(new() { Value = seq });
            await using var reader = await claim.ExecuteReaderAsync();
            while (await reader.ReadAsync()) fresh.Add(reader.GetGuid(0));
            claimed = fresh.Count;
        }
        else
        {
            var returning = keysBy == KeysBy.Unnest;
            await using var claim = new NpgsqlCommand(
                $"insert into {s}.usage_keys (event_id, batch_seq, position) select i, $1, p from unnest($2::uuid[], $3::int[]) as k(i, p) on conflict do nothing"
                + (returning ? " returning event_id" : ""), conn, tx);
            claim.Parameters.Add(new() { Value = seq });
            claim.Parameters.Add(new() { Value = ids });
            claim.Parameters.Add(new() { Value = positions });
            if (returning)
            {
                fresh = [];
                await using var reader = await claim.ExecuteReaderAsync();
                while (await reader.ReadAsync()) fresh.Add(reader.GetGuid(0));
                claimed = fresh.Count;
            }
            else claimed = await claim.ExecuteNonQueryAsync();
        }
        if (claimed == 0) { await tx.RollbackAsync(); return 0; }
        var array = data.Arrays[b];
        if (claimed < ids.Length)
        {
            // part of the batch was known: without returning, find out which keys this batch won
            if (fresh is null)
            {
                fresh = [];
                await using var mine = new NpgsqlCommand($"select event_id from {s}.usage_keys where batch_seq = $1", conn, tx);
                mine.Parameters.Add(new() { Value = seq });
                await using var reader = await mine.ExecuteReaderAsync();
                while (await reader.ReadAsync()) fresh.Add(reader.GetGuid(0));
            }
            var keep = Enumerable.Range(0, ids.Length).Where(i => fresh.Contains(ids[i])).ToArray();
            array = "[" + string.Join(',', keep.Select(i => data.Lines[b][i])) + "]";
            await using var renumber = new NpgsqlCommand(
                $"update {s}.usage_keys k set position = n.p from unnest($1::uuid[], $2::int[]) as n(i, p) where k.event_id = n.i", conn, tx);
            renumber.Parameters.Add(new() { Value = keep.Select(i => ids[i]).ToArray() });
            renumber.Parameters.Add(new() { Value = Enumerable.Range(0, keep.Length).ToArray() });
            await renumber.ExecuteNonQueryAsync();
        }
        var streamKey = $"usage-batch/{Guid.CreateVersion7()}";
        await using (var batch = new NpgsqlBatch(conn, tx))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                $"insert into {s}.mt_streams (id, version, tenant_id, timestamp, created) values ($1, 1, '*DEFAULT*', now(), now())")
            { Parameters = { new() { Value = streamKey } } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
                insert into {s}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, headers)
                values ($1, $2, $3, 1, $4, 'usage_batch_recorded', now(), '*DEFAULT*', 'Ledger.Usage.UsageBatchRecorded, Ledger', $5)
                """)
            {
                Parameters =
                {
                    new() { Value = seq }, new() { Value = Guid.CreateVersion7() }, new() { Value = streamKey },
                    new() { Value = array, NpgsqlDbType = NpgsqlDbType.Jsonb }, new() { Value = Headers, NpgsqlDbType = NpgsqlDbType.Jsonb }
                }
            });
            await batch.ExecuteNonQueryAsync();
        }
        await tx.CommitAsync();
        return claimed;
    }

    /// <summary>One reader, pages of 5,000 events (5,000 narrow rows or 5 batch rows), every line deserialized.</summary>
    private static async Task<long> ReadAllAsync(NpgsqlDataSource db, string s, bool narrow, int rowsPerPage, long max)
    {
        long read = 0, after = 0, check = 0;
        await using var conn = await db.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand($"select seq_id, data from {s}.mt_events where seq_id > $1 order by seq_id limit $2", conn);
        var from = new NpgsqlParameter<long>{ TypedValue = 0 };
        cmd.Parameters.Add(from);
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = rowsPerPage });
        await cmd.PrepareAsync();
        while (true)
        {
            from.TypedValue = after;
            var rows = 0;
            await using (var reader = await cmd.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                {
                    rows++;
                    after = reader.GetInt64(0);
                    var json = reader.GetString(1);
                    if (narrow)
                    {
                        var line = JsonSerializer.Deserialize<Line>(json, Json)!;
                        check += line.Meters.Count;
                        read++;
                    }
                    else
                    {
                        var lines = JsonSerializer.Deserialize<List<Line>>(json, Json)!;
                        foreach (var line in lines) check += line.Meters.Count;
                        read += lines.Count;
                    }
                }
            if (rows == 0 || read >= max) break;
        }
        if (check != read * 3) throw new InvalidOperationException($"read {read} lines but {check} meters");
        return read;
    }

    private static async Task<(long Rows, long Distinct, long Lines)> CountAsync(NpgsqlDataSource db, string s, bool narrow)
    {
        var sql = narrow
            ? $"select count(*), count(distinct id), count(*) from {s}.mt_events"
            : $"""
              select (select count(*) from {s}.mt_events),
                     (select count(*) from {s}.mt_events e cross join lateral jsonb_array_elements(e.data) with ordinality as l(line, n)
                       join {s}.usage_keys k on k.batch_seq = e.seq_id and k.position = l.n - 1 and k.event_id is not null
                       where l.line ->> 'contentHash' is not null),
                     (select sum(jsonb_array_length(data)) from {s}.mt_events)
              """;
        await using var cmd = db.CreateCommand(sql);
        cmd.CommandTimeout = 600;
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), narrow ? reader.GetInt64(2) : (long)reader.GetDecimal(2));
    }

    /// <summary>Database time per statement over the timed writes (pg_stat_statements; total_exec_time, not CPU).</summary>
    private static async Task PrintStatementsAsync(NpgsqlDataSource db, string s, long events)
    {
        await using var cmd = db.CreateCommand("""
            select calls, total_exec_time, regexp_replace(left(query, 90), '\s+', ' ', 'g')
            from pg_stat_statements where total_exec_time > 10 order by total_exec_time desc limit 8
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            Console.WriteLine($"{s}:   {reader.GetDouble(1) * 1000 / events,6:N1} µs/event {reader.GetInt64(0),7:N0} calls  {reader.GetString(2)}");
    }

    private static async Task<string> SizeAsync(NpgsqlDataSource db, string s)
    {
        await using var cmd = db.CreateCommand($"""
            select string_agg(c.relname || ' ' || pg_size_pretty(pg_total_relation_size(c.oid)), ', ' order by c.relname)
            from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind = 'r'
            """);
        cmd.Parameters.Add(new() { Value = s });
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task Exec(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        cmd.CommandTimeout = 600;
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>CPU time of the postmaster, its live children (backends, WAL writer, checkpointer…) and the children it reaped.</summary>
    private static TimeSpan PostgresCpu(int postmaster)
    {
        long ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); } catch (IOException) { continue; } catch (UnauthorizedAccessException) { continue; }
            var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // f[0] is field 3 (state)
            var ppid = int.Parse(f[1]);
            if (pid == postmaster) ticks += long.Parse(f[11]) + long.Parse(f[12]) + long.Parse(f[13]) + long.Parse(f[14]);
            else if (ppid == postmaster) ticks += long.Parse(f[11]) + long.Parse(f[12]);
        }
        return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ
    }

    private static bool Check(string what, bool passed, string detail)
    {
        Console.WriteLine($"check: {what}: {(passed ? "ok" : "FAILED")} ({detail})");
        return passed;
    }
}
