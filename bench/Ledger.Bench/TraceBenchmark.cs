using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Ledger.Audit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Ledger.Bench;

/// <summary>
/// Trace page latency on a large ledger (docs/performance.md#tracing). The ledger's tables are filled directly with SQL
/// (generate_series, in chunks): the usage events in the log, their rated rows (half paid by prepaid credit, half uncovered),
/// monthly invoices with their billing record, and the usage journal (entries per customer, model, day and kind, with each
/// event's share), exactly in the shape the ledger writes them; then the ledger's own chainer chains the log and a checkpoint is
/// signed. Ingesting millions of events through HTTP would take hours here. Then it times, over HTTP against the in-process ledger:
/// a usage entry's trace page (100 events with their rating, drawdowns, invoices, journal shares and raw events with chain status),
/// an event's reverse trace, and a dispute page (a customer's day, 100 events).
/// </summary>
public static class TraceBenchmark
{
    private const string Source = "//bench/trace";

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var events = args.Int("events", 1_000_000);
        var customers = args.Int("customers", 1000);
        var days = args.Int("days", 60);
        var samples = args.Int("samples", 300);
        const int chunk = 500_000;
        // --data <folder>: the private PostgreSQL lives there and is kept afterwards; a second run on the same folder reuses the
        // generated ledger (same --events, --customers, --days) and only times the pages. Remove the folder when done.
        var data = args.String("data");
        await using var target = await Target.StartAsync(null, data, "Disabled", "--Ledger:Audit:Chainer", "false", "--Ledger:Journal:PostInterval", "00:00:00",
            "--Ledger:Invoices:AutoClose", "false");
        var db = target.Services.GetRequiredService<NpgsqlDataSource>();
        using var http = new HttpClient { BaseAddress = new Uri(target.Url), Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", target.ApiKey);
        Console.WriteLine($"trace: {events:N0} events, {customers:N0} customers over {days} days, {Environment.ProcessorCount} cores");
        var book = await http.PutAsync("/v1/price-books/bench", new StringContent("""
            { "currency": "USD", "effective_from": "2025-01-01T00:00:00Z", "rules": [ { "id": "m", "per": 1000000, "rates": { "input": "2.50" },
              "formula": "input_tokens * input" } ] }
            """, System.Text.Encoding.UTF8, "application/json"));
        if (!book.IsSuccessStatusCode) throw new InvalidOperationException(await book.Content.ReadAsStringAsync());

        var clock = Stopwatch.StartNew();
        var existing = await ScalarAsync(db, $"select count(*) from ledger.rated_usage where source = '{Source}'");
        if (existing == 0) await GenerateAsync(db, http, events, customers, days, chunk, clock);
        else Console.WriteLine($"reusing the ledger in {data}: {existing:N0} events; {await TextAsync(db, "select pg_size_pretty(pg_database_size(current_database()))")} on disk");

        var random = new Random(7);
        var entries = await ListAsync(db, $"select entry_id from ledger.journal_entries where kind like 'usage%' order by random() limit {samples}");
        var seqs = await ListAsync(db, $"select seq from ledger.rated_usage where source = '{Source}' order by random() limit {samples}");
        var failures = 0;
        // Times each GET one after another (the body read included) and counts the answers that fail their check.
        async Task<List<double>> TimeBodiesAsync(HttpClient client, string what, IEnumerable<string> paths, Func<string, bool> check)
        {
            var times = new List<double>();
            foreach (var path in paths)
            {
                var watch = Stopwatch.StartNew();
                using var response = await client.GetAsync(path);
                var body = await response.Content.ReadAsStringAsync();
                watch.Stop();
                if ((!response.IsSuccessStatusCode || !check(body)) && failures++ < 3)
                    Console.WriteLine($"  {what} {path}: {(int)response.StatusCode} {body[..Math.Min(400, body.Length)]}");
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
            return times;
        }
        Task<List<double>> TimeAsync(string what, IEnumerable<string> paths, Func<JsonElement, bool> check) =>
            TimeBodiesAsync(http, what, paths, body => check(JsonDocument.Parse(body).RootElement));
        var entryPaths = entries.Select(e => $"/v1/revenue/entries/{e}/trace").ToList();
        var eventPaths = seqs.Select(s => $"/v1/events/{Uri.EscapeDataString(Source)}/e{s}/trace").ToList();
        var disputePaths = Enumerable.Range(0, samples).Select(_ =>
        {
            var day = DateTime.SpecifyKind(new DateTime(2026, 1, 1).AddDays(random.Next(days)), DateTimeKind.Utc);
            return $"/v1/disputes?customer=bench-c{random.Next(customers)}&from={day:yyyy-MM-ddTHH:mm:ssZ}&to={day.AddDays(1):yyyy-MM-ddTHH:mm:ssZ}&model=m-a";
        }).ToList();
        static bool Ties(JsonElement e) => e.GetProperty("ties").GetBoolean() &&
            e.GetProperty("events").EnumerateArray().All(x => x.GetProperty("raw").GetProperty("chain").GetProperty("status").GetString() == "linked");
        static bool Traced(JsonElement e) => e.GetProperty("event").GetProperty("revenue").GetProperty("ties").GetBoolean() &&
            e.GetProperty("event").GetProperty("raw").GetProperty("chain").GetProperty("covered").GetBoolean();
        await TimeAsync("warm-up", entryPaths.Take(20).Concat(eventPaths.Take(20)).Concat(disputePaths.Take(20)), _ => true);
        Report("entry trace page (usage entry -> events)", await TimeAsync("entry", entryPaths, Ties));
        Report("event trace (event -> invoices, journal)", await TimeAsync("event", eventPaths, Traced));
        Report("dispute page (customer, day, model)", await TimeAsync("dispute", disputePaths, e => e.GetProperty("events").GetArrayLength() > 0));

        // A hop of 1,000 rows (docs/ui.md: a page under 300 ms): the generated entries hold ~83 events, so 2 × --hop-entries entries are
        // made by merging one customer's first 14 days of one model into one entry (~1,160 events), as a heavier customer's journal would.
        // Each entry is opened once, so its rows are read cold: the first half as JSON, the second half as the /ui page; then the /ui
        // page of the first half again, as a person coming back to a trace sees it.
        var hopEntries = args.Int("hop-entries", 30);
        if (hopEntries > 0)
        {
            var heavy = await HeavyEntriesAsync(db, 2 * hopEntries);
            var (jsonEntries, htmlEntries) = (heavy.Take(hopEntries).ToList(), heavy.Skip(hopEntries).ToList());
            static bool Thousand(JsonElement e) => Ties(e) && e.GetProperty("events").GetArrayLength() == 1000;
            Report("entry trace page, limit=1000, first view (JSON)", await TimeAsync("entry 1000", jsonEntries.Select(e => $"/v1/revenue/entries/{e}/trace?limit=1000"), Thousand));
            using var ui = new HttpClient { BaseAddress = http.BaseAddress, Timeout = http.Timeout };
            ui.DefaultRequestHeaders.Add("Cookie", $"{Ledger.Ui.UiAccess.Cookie}={target.ApiKey}");
            static bool Page(string html) => html.Contains("id=\"ties\">✓ Ties", StringComparison.Ordinal) && Count(html, "<span class=\"ok-text\">verified</span>") == 1000;
            await TimeBodiesAsync(ui, "warm-up", entries.Take(5).Select(e => $"/ui/trace/entries/{e}"), _ => true); // warm-up: the page's code, not its rows
            Report("entry trace page, limit=1000, first view (HTML, /ui)", await TimeBodiesAsync(ui, "html 1000", htmlEntries.Select(e => $"/ui/trace/entries/{e}?limit=1000"), Page));
            Report("entry trace page, limit=1000, seen before (HTML, /ui)", await TimeBodiesAsync(ui, "html 1000 again", jsonEntries.Select(e => $"/ui/trace/entries/{e}?limit=1000"), Page));
        }
        Console.WriteLine(failures == 0 ? "all answers tied and chained" : $"{failures} answers failed their check");
        return failures == 0 ? 0 : 1;
    }

    private static async Task GenerateAsync(NpgsqlDataSource db, HttpClient http, int events, int customers, int days, int chunk, Stopwatch clock)
    {
        // Secondary indexes are dropped for the load and built again after it, as a bulk load does: maintained row by row, the
        // random event-id index alone made each chunk slower than the one before.
        var indexes = await IndexesAsync(db);
        foreach (var (name, _) in indexes) await ExecAsync(db, $"drop index ledger.{name}");
        var first = await ScalarAsync(db, "select coalesce(max(seq_id), 0) from ledger.mt_events") + 1;
        await ExecAsync(db, "select setval('ledger.mt_events_sequence', $1)", first + events);
        for (long lo = first; lo < first + events; lo += chunk)
        {
            var hi = Math.Min(first + events - 1, lo + chunk - 1);
            await ExecAsync(db, Generate, lo, hi, first, events, customers, days);
            Console.WriteLine($"  log and rated usage up to {hi - first + 1:N0} ({clock.Elapsed.TotalSeconds:N0} s)");
        }
        await ExecAsync(db, Grants, customers);
        await ExecAsync(db, Invoices);
        for (long lo = first; lo < first + events; lo += chunk)
            await ExecAsync(db, Billed, lo, Math.Min(first + events - 1, lo + chunk - 1));
        Console.WriteLine($"  invoices and billing record ({clock.Elapsed.TotalSeconds:N0} s)");
        await ExecAsync(db, JournalGroups);
        for (long lo = first; lo < first + events; lo += chunk)
            await ExecAsync(db, JournalShares, lo, Math.Min(first + events - 1, lo + chunk - 1));
        await ExecAsync(db, "drop table ledger.bench_groups");
        Console.WriteLine($"  journal ({clock.Elapsed.TotalSeconds:N0} s)");
        foreach (var (_, definition) in indexes) await ExecAsync(db, definition);
        Console.WriteLine($"  {indexes.Count} indexes built again ({clock.Elapsed.TotalSeconds:N0} s)");
        await ExecAsync(db, "select ledger.mt_mark_event_progression('HighWaterMark', (select max(seq_id) from ledger.mt_events))");
        while (await Chainer.ChainBatchAsync(db, 20_000, CancellationToken.None) > 0) { }
        Console.WriteLine($"  chained ({clock.Elapsed.TotalSeconds:N0} s)");
        await using (var vacuum = db.CreateCommand("vacuum analyze ledger.journal_usage; analyze")) // outside a transaction
        {
            vacuum.CommandTimeout = 0;
            await vacuum.ExecuteNonQueryAsync();
        }
        var checkpoint = await http.PostAsync("/v1/audit/checkpoints", null);
        if (!checkpoint.IsSuccessStatusCode) throw new InvalidOperationException(await checkpoint.Content.ReadAsStringAsync());
        Console.WriteLine($"generated in {clock.Elapsed.TotalSeconds:N0} s; {await TextAsync(db, "select pg_size_pretty(pg_database_size(current_database()))")} on disk");

    }

    private static int Count(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>
    /// The merged entries of a 1,000-row hop, made once per ledger: for each of the first <paramref name="count"/> uncovered customers, their
    /// model m-a entries of January 1-14 become one entry (shares moved, amount and lines the sum). The journal refuses changes, so
    /// its triggers are off for this one transaction (the benchmark is the database's superuser).
    /// </summary>
    private static async Task<List<long>> HeavyEntriesAsync(NpgsqlDataSource db, int count)
    {
        var existing = await ListAsync(db, "select entry_id from ledger.journal_entries where description = 'bench usage, 14 days' order by entry_id");
        if (existing.Count >= count) return existing.Take(count).ToList();
        await ExecAsync(db, MergeEntries, count);
        await using (var vacuum = db.CreateCommand("vacuum analyze ledger.journal_usage")) { vacuum.CommandTimeout = 0; await vacuum.ExecuteNonQueryAsync(); }
        var made = await ListAsync(db, "select entry_id from ledger.journal_entries where description = 'bench usage, 14 days' order by entry_id");
        Console.WriteLine($"  merged {made.Count} entries of {await ScalarAsync(db, "select min(c) from (select count(*) as c from ledger.journal_usage u join ledger.journal_entries e using (entry_id) where e.description = 'bench usage, 14 days' group by entry_id) x"):N0}+ events each");
        return made.Take(count).ToList();
    }

    // $1 entries to make
    private const string MergeEntries = """
        set local session_replication_role = replica;
        create temp table heavy on commit drop as
        select customer_id, min(entry_id) as keep, array_agg(entry_id) as merged, sum(amount) as amount, sum((cause->>'usage_events')::int) as events
        from ledger.journal_entries
        where description = 'bench usage' and model = 'm-a' and kind = 'usage_uncovered' and service_date < date '2026-01-15'
          and customer_id in (select 'bench-c' || c from generate_series(1, $1 * 2 - 1, 2) c)
        group by customer_id;
        update ledger.journal_usage u set entry_id = h.keep from heavy h where u.entry_id = any(h.merged) and u.entry_id <> h.keep;
        delete from ledger.journal_lines l using heavy h where l.entry_id = any(h.merged) and l.entry_id <> h.keep;
        delete from ledger.journal_entries e using heavy h where e.entry_id = any(h.merged) and e.entry_id <> h.keep;
        update ledger.journal_entries e set amount = h.amount, description = 'bench usage, 14 days', cause = jsonb_build_object('usage_events', h.events)
        from heavy h where e.entry_id = h.keep;
        update ledger.journal_lines l set debit = case when l.line = 1 then h.amount else 0 end, credit = case when l.line = 2 then h.amount else 0 end
        from heavy h where l.entry_id = h.keep
        """;

    private static void Report(string what, List<double> ms)
    {
        ms.Sort();
        double P(double q) => ms[Math.Min(ms.Count - 1, (int)Math.Ceiling(q * ms.Count) - 1)];
        Console.WriteLine($"{what}: n={ms.Count}, p50 {P(0.50):N1} ms, p99 {P(0.99):N1} ms, max {ms[^1]:N1} ms");
    }

    // $1 lo, $2 hi, $3 first sequence, $4 events, $5 customers, $6 days. Events are in time order; each customer alternates two models.
    private const string Generate = """
        create temp table bench_gen on commit drop as
        select i as seq, 'bench-c' || ((i - $3) % $5) as customer, 'e' || i as id, 'm-' || (case when ((i - $3) / $5) % 2 = 0 then 'a' else 'b' end) as model,
               timestamptz '2026-01-01 00:00:00Z' + ((i - $3) * ($6 * 86400.0 / $4)) * interval '1 second' as at,
               1000 + (i * 7919) % 5000 as tokens, ((i - $3) % $5) % 2 = 0 as credit
        from generate_series($1::bigint, $2::bigint) i;
        insert into ledger.mt_streams (id, type, version) select distinct 'bench-' || (seq / 1000), null, 1000 from bench_gen on conflict do nothing;
        insert into ledger.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type)
        select g.seq,
               encode(set_byte(set_byte(substring(h.h from 1 for 16), 6, (get_byte(h.h, 6) & 15) | 128), 8, (get_byte(h.h, 8) & 63) | 128), 'hex')::uuid,
               'bench-' || (g.seq / 1000), g.seq % 1000 + 1,
               jsonb_build_object('customerId', g.customer, 'source', '//bench/trace', 'eventId', g.id, 'type', 'ai.usage',
                   'usageAt', to_char(g.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'recordedAt', to_char(g.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   'meters', jsonb_build_object('input_tokens', g.tokens), 'dimensions', jsonb_build_object('model', g.model), 'extensions', null,
                   'contentHash', md5(g.id)),
               'usage_recorded', g.at, '*DEFAULT*', 'Ledger.Usage.UsageRecorded, Ledger'
        from bench_gen g cross join lateral (select sha256(convert_to('ledger.usage/' || length('//bench/trace') || '://bench/trace/' || g.id, 'UTF8')) as h) h;
        insert into ledger.rated_usage (seq, customer_id, source, event_id, usage_at, recorded_at, status, currency, amount, price_book, price_version,
            rule_id, dimensions, lines, uncovered, drawdowns)
        select seq, customer, '//bench/trace', id, at, at, 'rated', 'USD', tokens * 0.0000025, 'bench', 1, 'm', jsonb_build_object('model', model),
               jsonb_build_array(jsonb_build_object('meter', 'input_tokens', 'quantity', tokens, 'amount', tokens * 0.0000025)),
               case when credit then 0 else tokens * 0.0000025 end,
               case when credit then jsonb_build_array(jsonb_build_object('grant', 'prepaid', 'amount', tokens * 0.0000025, 'at', seq)) end
        from bench_gen;
        """;

    private const string Grants = """
        insert into ledger.credit_grants (customer_id, grant_id, currency, kind, priority, effective_at, expires_at, granted_seq, granted, drawn, expired, voided, status)
        select 'bench-c' || c, 'prepaid', 'USD', 'Purchased', 100, timestamptz '2026-01-01Z', null, 1, 1000000, 0, 0, 0, 'active'
        from generate_series(0, $1 - 1, 2) c on conflict do nothing
        """;

    private const string Invoices = """
        insert into ledger.invoices (invoice_id, number, seq, customer_id, period_from, period_to, issued_at, as_of)
        select 'bench-inv-' || n, 'BENCH-' || n, 1000000000 + n, customer_id, m, m + interval '1 month', m + interval '1 month 1 hour', 0
        from (select row_number() over (order by customer_id, m) as n, customer_id, m
              from (select distinct customer_id, date_trunc('month', usage_at at time zone 'UTC') at time zone 'UTC' as m
                    from ledger.rated_usage where source = '//bench/trace') x) y
        """;

    // $1 lo, $2 hi
    private const string Billed = """
        insert into ledger.billed_usage (seq, invoice_seq, customer_id, usage_at, lines, amount, credits, allowance)
        select r.seq, v.seq, r.customer_id, r.usage_at, r.lines, r.amount, r.amount - r.uncovered, 0
        from ledger.rated_usage r join ledger.invoices v on v.customer_id = r.customer_id and r.usage_at >= v.period_from and r.usage_at < v.period_to
        where r.seq between $1 and $2 and r.source = '//bench/trace'
        """;

    private const string JournalGroups = """
        insert into ledger.journal_runs (run_id, ran_at, position, usage_tick, open_period, entries)
        select coalesce(max(run_id), 0) + 1, now(), (select max(seq) from ledger.rated_usage), (select max(journal_tick) from ledger.rated_usage), null, 0
        from ledger.journal_runs;
        create table ledger.bench_groups as
        select nextval('ledger.journal_entry_id') as entry_id, t.*
        from (select customer_id, dimensions->>'model' as model, (usage_at at time zone 'UTC')::date as day,
                     case when uncovered = 0 then 'usage_credits' else 'usage_uncovered' end as kind, sum(amount) as amount, count(*) as events
              from ledger.rated_usage where source = '//bench/trace' group by 1, 2, 3, 4) t;
        create index on ledger.bench_groups (customer_id, model, day, kind);
        insert into ledger.journal_entries (entry_id, run_id, kind, customer_id, currency, posting_period, service_date, model, amount, source, cause, description, posted_at)
        select entry_id, (select max(run_id) from ledger.journal_runs), kind, customer_id, 'USD', date_trunc('month', day)::date, day, model, amount, null,
               jsonb_build_object('usage_events', events), 'bench usage', now()
        from ledger.bench_groups;
        insert into ledger.journal_lines (entry_id, line, account, debit, credit)
        select entry_id, l, case when l = 1 then (case kind when 'usage_credits' then 'contract_liability' else 'unbilled_receivable' end) else 'usage_revenue' end,
               case when l = 1 then amount else 0 end, case when l = 2 then amount else 0 end
        from ledger.bench_groups cross join (values (1), (2)) s(l);
        """;

    // $1 lo, $2 hi
    private const string JournalShares = """
        insert into ledger.journal_usage (seq, entry_id, amount)
        select r.seq, g.entry_id, r.amount from ledger.rated_usage r
        join ledger.bench_groups g on g.customer_id = r.customer_id and g.model = r.dimensions->>'model' and g.day = (r.usage_at at time zone 'UTC')::date
            and g.kind = case when r.uncovered = 0 then 'usage_credits' else 'usage_uncovered' end
        where r.seq between $1 and $2 and r.source = '//bench/trace'
        """;

    private static async Task ExecAsync(NpgsqlDataSource db, string sql, params object[] values)
    {
        await using var conn = await db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var settings = new NpgsqlCommand("set local work_mem = '256MB'; set local maintenance_work_mem = '1GB'", conn, tx))
            await settings.ExecuteNonQueryAsync();
        if (values.Length == 0 || !sql.Contains("$1"))
        {
            await using var plain = new NpgsqlCommand(sql, conn, tx) { CommandTimeout = 0 };
            await plain.ExecuteNonQueryAsync();
        }
        else
        {
            // One statement at a time: a multi-statement text cannot take parameters.
            foreach (var statement in sql.Split(";\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(s => s.Length > 0))
            {
                await using var cmd = new NpgsqlCommand(statement, conn, tx) { CommandTimeout = 0 };
                var count = Enumerable.Range(1, values.Length).Count(i => statement.Contains($"${i}"));
                for (var i = 0; i < values.Length && statement.Contains($"${i + 1}"); i++) cmd.Parameters.Add(new NpgsqlParameter { Value = values[i] });
                if (cmd.Parameters.Count != count) throw new InvalidOperationException("parameters must be used in order: " + statement);
                await cmd.ExecuteNonQueryAsync();
            }
        }
        await tx.CommitAsync();
    }

    /// <summary>The filled tables' indexes that back no constraint: (name, definition).</summary>
    private static async Task<List<(string Name, string Definition)>> IndexesAsync(NpgsqlDataSource db)
    {
        await using var cmd = db.CreateCommand("""
            select indexname, indexdef from pg_indexes i
            where schemaname = 'ledger' and tablename in ('mt_events', 'rated_usage', 'billed_usage', 'journal_usage', 'journal_entries', 'journal_lines')
              and not exists (select 1 from pg_constraint c where c.conname = i.indexname)
            """);
        var list = new List<(string, string)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) list.Add((reader.GetString(0), reader.GetString(1)));
        return list;
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<string> TextAsync(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<List<long>> ListAsync(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        var list = new List<long>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) list.Add(reader.GetInt64(0));
        return list;
    }
}
