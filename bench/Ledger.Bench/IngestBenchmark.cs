using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Ledger.Hosting;
using Npgsql;

namespace Ledger.Bench;

/// <summary>
/// Drives POST /v1/events over real HTTP into the real database, then proves no loss and no
/// duplicate: exactly N distinct events stored, and a 10% re-send reported entirely as duplicates.
/// </summary>
public static class IngestBenchmark
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var events = args.Int("events", 1_000_000);
        var batchSize = args.Int("batch", 1000);
        var clients = args.Int("clients", 8);
        var customers = args.Int("customers", 100);
        var source = $"//bench/{Guid.NewGuid():N}";

        // --chainer off: without the audit chainer, to see what it costs ingest (docs/performance.md)
        await using var target = await Target.StartAsync(args.String("url"), args.String("daemon") ?? "Solo",
            args.String("chainer") == "off" ? ["--Ledger:Audit:Chainer", "false"] : []);
        Console.WriteLine($"ingest: {events:N0} events, batches of {batchSize}, {clients} clients, {customers} customers, {Environment.ProcessorCount} cores");
        var batches = Batches.Build(source, events, batchSize, customers, DateTimeOffset.UtcNow.AddMinutes(-1));

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients })
        { BaseAddress = new Uri(target.Url), Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", target.ApiKey);
        // Warm-up (stored, not timed): Wolverine's code generation, the connection pool, and the JIT's
        // tiered compilation, which makes the first seconds of a .NET server several times slower.
        var warmupBatches = Math.Min(batches.Length - 1, Math.Max(2, args.Int("warmup", 50_000) / batchSize));
        await Send(http, batches.Take(2).ToArray(), 1);
        await Send(http, batches.Skip(2).Take(warmupBatches - 2).ToArray(), clients);

        var cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var machineBefore = MachineCpu();
        var clock = Stopwatch.StartNew();
        var run = await Send(http, batches.Skip(warmupBatches).ToArray(), clients);
        clock.Stop();
        var ledgerCpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var machineCpu = MachineCpu() - machineBefore;
        var timed = events - warmupBatches * batchSize;
        var latencies = run.Latencies.Order().ToArray();
        Console.WriteLine($"committed: {timed / clock.Elapsed.TotalSeconds:N0} events/s ({timed:N0} events in {clock.Elapsed.TotalSeconds:N1} s)");
        Console.WriteLine($"latency per {batchSize}-event request: p50 {Percentile(latencies, 0.50):N1} ms, p99 {Percentile(latencies, 0.99):N1} ms, max {latencies[^1]:N1} ms");

        Console.WriteLine($"cpu per event: this process (ledger + client) {ledgerCpu.TotalMicroseconds / timed:N1} µs, " +
                          $"whole machine {machineCpu.TotalMicroseconds / timed:N1} µs (the rest is PostgreSQL and anything else running)");
        var resend = batches.Take(Math.Max(1, batches.Length / 10)).ToArray();
        var again = await Send(http, resend, clients);
        var resent = resend.Sum(b => CountEvents(b));
        var stored = await CountStored(target.ConnectionString, source);

        var ok = true;
        ok &= Check($"stored exactly {events:N0} distinct events", stored.Rows == events && stored.Distinct == events, $"rows {stored.Rows:N0}, distinct ids {stored.Distinct:N0}");
        ok &= Check("timed sends all accepted", run.Accepted == timed && run.Errors == 0, $"accepted {run.Accepted:N0}, errors {run.Errors}");
        ok &= Check($"re-sent {resent:N0} events (10%) all reported as duplicates", again.Duplicates == resent && again.Accepted == 0,
            $"duplicates {again.Duplicates:N0}, accepted {again.Accepted:N0}");
        Console.WriteLine(ok ? "checks: PASS" : "checks: FAIL");
        return ok ? 0 : 1;
    }

    private sealed record RunResult(List<double> Latencies, long Accepted, long Duplicates, long Errors);

    private static async Task<RunResult> Send(HttpClient http, byte[][] batches, int clients)
    {
        var next = -1;
        var latencies = new List<double>[clients];
        long accepted = 0, duplicates = 0, errors = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            latencies[c] = [];
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Length)
            {
                var content = new ByteArrayContent(batches[i]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents-batch+json");
                var started = Stopwatch.GetTimestamp();
                using var response = await http.PostAsync("/v1/events", content);
                var body = await response.Content.ReadAsStringAsync();
                latencies[c].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (!response.IsSuccessStatusCode) { Interlocked.Increment(ref errors); Console.Error.WriteLine(body); continue; }
                using var report = JsonDocument.Parse(body);
                Interlocked.Add(ref accepted, report.RootElement.GetProperty("accepted").GetInt32());
                Interlocked.Add(ref duplicates, report.RootElement.GetProperty("duplicates").GetInt32());
                Interlocked.Add(ref errors, report.RootElement.GetProperty("rejected").GetInt32() + report.RootElement.GetProperty("conflicts").GetInt32());
            }
        }));
        return new RunResult(latencies.SelectMany(l => l).ToList(), accepted, duplicates, errors);
    }

    private static async Task<(long Rows, long Distinct)> CountStored(string connectionString, string source)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var cmd = db.CreateCommand(
            "select count(*), count(distinct data ->> 'eventId') from ledger.mt_events where data ->> 'source' = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = source });
        cmd.CommandTimeout = 600;
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static int CountEvents(byte[] batch)
    {
        using var doc = JsonDocument.Parse(batch);
        return doc.RootElement.GetArrayLength();
    }

    /// <summary>Busy CPU time of the whole machine so far (Linux /proc/stat), zero elsewhere.</summary>
    private static TimeSpan MachineCpu()
    {
        if (!File.Exists("/proc/stat")) return TimeSpan.Zero;
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..].Select(long.Parse).ToArray();
        var busy = fields.Sum() - fields[3] - fields[4]; // minus idle and iowait
        return TimeSpan.FromSeconds(busy / 100.0);       // USER_HZ is 100 on Linux
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static bool Check(string what, bool passed, string detail)
    {
        Console.WriteLine($"check: {what}: {(passed ? "ok" : "FAILED")} ({detail})");
        return passed;
    }
}
