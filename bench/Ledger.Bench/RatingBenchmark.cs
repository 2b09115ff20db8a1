using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using JasperFx.Events.Daemon;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Ledger.Bench;

/// <summary>
/// Rating, end to end over real HTTP and the real database:
/// 1. throughput — N events ingested with the daemon stopped, then the rating projection alone
///    catches up (events/s from its first to its last batch);
/// 2. latency — under an offered ingest load (default 20,000 events/s) a probe sends one event every
///    50 ms and polls the usage endpoint until its amount shows: ingest acknowledgement → visible.
/// </summary>
public static class RatingBenchmark
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var events = args.Int("events", 200_000);
        var batchSize = args.Int("batch", 1000);
        var customers = args.Int("customers", 100);
        var offered = args.Int("rate", 20_000);
        var seconds = args.Int("seconds", 20);
        var grants = args.Int("grants", 0);

        await using var target = await Target.StartAsync(null, "Disabled");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16 })
        { BaseAddress = new Uri(target.Url), Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", target.ApiKey);
        await SetUpPricesAsync(http, customers + 1);
        var store = target.Services.GetRequiredService<IDocumentStore>();
        await GrantCreditsAsync(store, customers + 1, grants);
        Console.WriteLine($"rating: {events:N0} events for {customers} customers ({grants} credit grants each), then {offered:N0} events/s offered for {seconds} s, {Environment.ProcessorCount} cores");

        using var daemon = await store.BuildProjectionDaemonAsync();
        // Warm-up (rated, not timed): a server that has run for a while has its rating code compiled by the JIT's
        // optimizing tier; a cold one spends much of its first minute compiling (docs/performance.md).
        var warmup = args.Int("warmup", 50_000);
        if (warmup > 0)
        {
            await SendAllAsync(http, Batches.Build("//bench/warmup", warmup, batchSize, customers, DateTimeOffset.UtcNow.AddMinutes(-6)));
            await daemon.StartAgentAsync("rating:All", CancellationToken.None);
            await CaughtUpAsync(target.ConnectionString);
            await daemon.StopAgentAsync("rating:All");
        }
        var before = await CountRatedAsync(target.ConnectionString);

        await SendAllAsync(http, Batches.Build("//bench/backlog", events, batchSize, customers, DateTimeOffset.UtcNow.AddMinutes(-5)));
        await AnalyzeAsync(target.ConnectionString);

        Console.WriteLine($"catch-up: starting the rating shard ({warmup:N0} events rated before, untimed)");
        var clock = Stopwatch.StartNew();
        await daemon.StartAgentAsync("rating:All", CancellationToken.None);
        await CaughtUpAsync(target.ConnectionString);
        clock.Stop();
        var rated = await CountRatedAsync(target.ConnectionString) - before;
        Console.WriteLine($"rating throughput (catch-up, rating shard alone): {rated / clock.Elapsed.TotalSeconds:N0} events/s ({rated:N0} rows in {clock.Elapsed.TotalSeconds:N1} s)");

        // The rating shard keeps running for the latency phase (the raw-quantity projection stays off: it is not on this path).
        var (latencies, achieved) = await LoadWithProbeAsync(http, offered, seconds, batchSize / 2, customers);
        var sorted = latencies.Order().ToArray();
        Console.WriteLine($"offered {offered:N0} events/s, achieved {achieved:N0} events/s");
        Console.WriteLine($"ingest ack → amount visible in /usage ({sorted.Length} probes): p50 {P(sorted, 0.5):N0} ms, p99 {P(sorted, 0.99):N0} ms, max {sorted[^1]:N0} ms");
        if (Environment.GetEnvironmentVariable("LEDGER_PG_OPTIONS")?.Contains("pg_stat_statements") == true)
            await PrintDatabaseTimeAsync(target.ConnectionString);
        return 0;
    }

    private static double P(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static async Task SetUpPricesAsync(HttpClient http, int customers)
    {
        await Put(http, "/v1/price-books/bench", """
            { "currency": "USD", "effective_from": "2020-01-01T00:00:00Z", "rules": [
              { "id": "gpt-4o", "match": { "model": "gpt-4o" }, "per": 1000000,
                "rates": { "input": "2.50", "cached_input": "1.25", "output": "10.00" },
                "formula": "(input_tokens - cached_input_tokens) * input + cached_input_tokens * cached_input + output_tokens * output" } ] }
            """);
        for (var c = 0; c < customers; c++)
            await Put(http, $"/v1/customers/customer-{c}", """{"price_book":"bench","budget":{"amount":"1000000.00","period":"month","alert_thresholds":[0.5,1.0]}}""");
    }

    /// <summary>Grants each customer <paramref name="grants"/> large grants (so every event is drawn down from credits), in distinct priorities.</summary>
    private static async Task GrantCreditsAsync(IDocumentStore store, int customers, int grants)
    {
        if (grants == 0) return;
        await using var session = store.LightweightSession();
        var now = NodaTime.SystemClock.Instance.GetCurrentInstant().Minus(NodaTime.Duration.FromHours(1));
        for (var c = 0; c < customers; c++)
            for (var g = 0; g < grants; g++)
                session.Events.StartStream(Credits.CreditGranted.StreamKey($"customer-{c}", $"grant-{g}"),
                    new Credits.CreditGranted($"customer-{c}", $"grant-{g}", new Kernel.Money(1_000_000m, "USD"), Credits.CreditKind.Purchased, g,
                        now, null, [], now, "bench"));
        await session.SaveChangesAsync();
    }

    private static async Task Put(HttpClient http, string path, string json)
    {
        using var response = await http.PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task SendAllAsync(HttpClient http, byte[][] batches)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Length) await PostAsync(http, batches[i]);
        }));
    }

    private static async Task PostAsync(HttpClient http, byte[] batch)
    {
        var content = new ByteArrayContent(batch);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents-batch+json");
        using var response = await http.PostAsync("/v1/events", content);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Offers batches at a fixed pace while the probe measures; returns probe latencies and the achieved ingest rate.</summary>
    private static async Task<(List<double>, double)> LoadWithProbeAsync(HttpClient http, int rate, int seconds, int batchSize, int customers)
    {
        var batches = Batches.Build("//bench/load", rate * seconds, batchSize, customers, DateTimeOffset.UtcNow.AddMinutes(-1));
        var interval = TimeSpan.FromSeconds((double)batchSize / rate);
        var clock = Stopwatch.StartNew();
        var sent = 0L;
        var inFlight = new List<Task>();
        using var stop = new CancellationTokenSource();
        var probe = ProbeAsync(http, $"customer-{customers}", stop.Token);
        for (var i = 0; i < batches.Length; i++)
        {
            var due = interval * i;
            if (clock.Elapsed < due) await Task.Delay(due - clock.Elapsed);
            var batch = batches[i];
            inFlight.Add(PostAsync(http, batch).ContinueWith(_ => Interlocked.Add(ref sent, batchSize)));
            inFlight.RemoveAll(t => t.IsCompleted);
            if (inFlight.Count > 64) await Task.WhenAny(inFlight); // the ledger is behind the offered pace: do not pile up without bound
        }
        await Task.WhenAll(inFlight);
        var achieved = sent / clock.Elapsed.TotalSeconds;
        stop.Cancel();
        return (await probe, achieved);
    }

    private static async Task<List<double>> ProbeAsync(HttpClient http, string customer, CancellationToken stop)
    {
        var latencies = new List<double>();
        var total = 0m;
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var started = Stopwatch.GetTimestamp();
            var one = Encoding.UTF8.GetBytes($$$"""
                [{"specversion":"1.0","type":"ai.usage","source":"//bench/probe","id":"probe-{{{n}}}","subject":"{{{customer}}}","time":"{{{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ}}}","data":{"model":"gpt-4o","input_tokens":1000000,"output_tokens":0}}]
                """);
            await PostAsync(http, one);
            var acked = Stopwatch.GetTimestamp();
            total += 2.50m;
            while (await TotalAsync(http, customer) < total)
            {
                if (Stopwatch.GetElapsedTime(acked) > TimeSpan.FromSeconds(60)) throw new TimeoutException("a probe event was not rated within 60 s");
                await Task.Delay(2);
            }
            latencies.Add(Stopwatch.GetElapsedTime(acked).TotalMilliseconds);
            var wait = TimeSpan.FromMilliseconds(50) - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
        }
        return latencies;
    }

    private static async Task<decimal> TotalAsync(HttpClient http, string customer)
    {
        using var response = await http.GetAsync($"/v1/customers/{customer}/usage?from=2020-01-01T00:00:00Z&to=2100-01-01T00:00:00Z");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return decimal.Parse(doc.RootElement.GetProperty("total").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Where PostgreSQL spent its time (with LEDGER_PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements").</summary>
    private static async Task PrintDatabaseTimeAsync(string connectionString)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using (var create = db.CreateCommand("create extension if not exists pg_stat_statements")) await create.ExecuteNonQueryAsync();
        await using var cmd = db.CreateCommand("""
            select round(total_exec_time)::bigint, calls, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 110)
            from pg_stat_statements order by total_exec_time desc limit 12
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        Console.WriteLine("database time (ms) | calls | rows | statement");
        while (await reader.ReadAsync())
            Console.WriteLine($"{reader.GetInt64(0),8} | {reader.GetInt64(1),7} | {reader.GetInt64(2),9} | {reader.GetString(3)}");
    }

    private static async Task AnalyzeAsync(string connectionString)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var cmd = db.CreateCommand("analyze ledger.mt_events; analyze ledger.mt_streams; analyze ledger.rated_usage");
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Waits until the rating shard's recorded position reaches the last event in the log.</summary>
    private static async Task CaughtUpAsync(string connectionString)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        while (true)
        {
            await using var cmd = db.CreateCommand("""
                select coalesce((select last_seq_id from ledger.mt_event_progression where name = 'rating:All'), 0) >= (select max(seq_id) from ledger.mt_events)
                """);
            if ((bool)(await cmd.ExecuteScalarAsync())!) return;
            await Task.Delay(20);
        }
    }

    private static async Task<long> CountRatedAsync(string connectionString)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var cmd = db.CreateCommand("select count(*) from ledger.rated_usage where status = 'rated'");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
