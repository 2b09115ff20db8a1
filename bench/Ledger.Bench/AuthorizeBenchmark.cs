using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Ledger.Credits;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Npgsql;

namespace Ledger.Bench;

/// <summary>
/// Spend checks (POST /v1/authorize) over real HTTP against a ledger whose customers have grants:
/// 1. the in-process view call alone (<see cref="SpendView.Check"/>), one core;
/// 2. closed loop: --clients requests in flight, as fast as the ledger answers (throughput);
/// 3. open loop: --rate checks/s offered for --seconds, latency measured from each request's
///    scheduled send time (so a stall counts against every request it delays).
/// </summary>
public static class AuthorizeBenchmark
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var customers = args.Int("customers", 1000);
        var clients = args.Int("clients", 32);
        var rate = args.Int("rate", 10_000);
        var seconds = args.Int("seconds", 20);
        var estimate = args.Int("estimate", 0) == 1;

        var url = args.String("url");
        await using var target = await Target.StartAsync(url);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
            { BaseAddress = new Uri(target.Url), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", target.ApiKey);
        Console.WriteLine($"authorize: {customers:N0} customers with grants, {(estimate ? "estimate by model" : "estimated_cost")} bodies, {Environment.ProcessorCount} cores");
        await SetUpAsync(http, target, customers);

        if (url is null) InProcess(target.Services.GetRequiredService<SpendView>(), customers);

        var bodies = Enumerable.Range(0, customers).Select(c => Encoding.UTF8.GetBytes(estimate
            ? $$"""{"customer":"customer-{{c}}","estimate":{"model":"gpt-4o","meters":{"input_tokens":1200,"output_tokens":300} } }"""
            : $$"""{"customer":"customer-{{c}}","estimated_cost":"0.25"}""")).ToArray();
        await ClosedLoopAsync(http, bodies, clients, TimeSpan.FromSeconds(3), print: false); // warm-up: JIT tiers, connections
        await ClosedLoopAsync(http, bodies, clients, TimeSpan.FromSeconds(Math.Max(5, seconds / 2)), print: true);
        await OpenLoopAsync(http, bodies, rate, TimeSpan.FromSeconds(seconds));
        return 0;
    }

    private static async Task SetUpAsync(HttpClient http, Target target, int customers)
    {
        await PutAsync(http, "/v1/price-books/bench", """
            { "currency": "USD", "effective_from": "2020-01-01T00:00:00Z", "rules": [
              { "id": "gpt-4o", "match": { "model": "gpt-4o" }, "per": 1000000,
                "rates": { "input": "2.50", "output": "10.00" } } ] }
            """);
        for (var c = 0; c < customers; c++) await PutAsync(http, $"/v1/customers/customer-{c}", """{"price_book":"bench"}""");
        for (var c = 0; c < customers; c++)
            await PostAsync(http, $"/v1/customers/customer-{c}/credits", """{"amount":"1000.00","kind":"purchased","reference":"bench"}""");
        await using var db = NpgsqlDataSource.Create(target.ConnectionString);
        await using var cmd = db.CreateCommand("select max(seq_id) from ledger.mt_events");
        var last = (long)(await cmd.ExecuteScalarAsync())!;
        // Ready when every customer's check answers as of the log's last position (the view has them all).
        var clock = Stopwatch.StartNew();
        for (var c = 0; c < customers; c++)
            while (true)
            {
                using var response = await http.PostAsync("/v1/authorize", new StringContent(
                    $$"""{"customer":"customer-{{c}}","estimated_cost":"0.25"}""", Encoding.UTF8, "application/json"));
                var answer = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                if (response.IsSuccessStatusCode && answer.GetProperty("as_of").GetInt64() >= last && answer.GetProperty("available").GetString() == "1000.00") break;
                if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException($"customer-{c}'s spend check never caught up: {answer}");
                await Task.Delay(50);
            }
        Console.WriteLine($"view ready: {customers:N0} customers at position {last:N0}, each with 1000.00 available");
    }

    private static void InProcess(SpendView view, int customers)
    {
        var ids = Enumerable.Range(0, customers).Select(c => $"customer-{c}").ToArray();
        var now = SystemClock.Instance.GetCurrentInstant();
        var sum = 0m;
        for (var i = 0; i < 200_000; i++) sum += view.Check(ids[i % ids.Length], now)!.Value.Available;
        const int calls = 5_000_000;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++) sum += view.Check(ids[i % ids.Length], now)!.Value.Available;
        clock.Stop();
        Console.WriteLine($"in-process view check: {calls / clock.Elapsed.TotalSeconds:N0} checks/s on one core, {clock.Elapsed.TotalNanoseconds / calls:N0} ns per check (checksum {sum % 7})");
    }

    private static async Task ClosedLoopAsync(HttpClient http, byte[][] bodies, int clients, TimeSpan duration, bool print)
    {
        var latencies = new List<double>[clients];
        var stop = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            latencies[c] = [];
            for (var i = c; stop.Elapsed < duration; i += clients)
            {
                var started = Stopwatch.GetTimestamp();
                await SendAsync(http, bodies[i % bodies.Length]);
                latencies[c].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }));
        var all = latencies.SelectMany(l => l).Order().ToArray();
        if (print)
            Console.WriteLine($"HTTP closed loop, {clients} in flight: {all.Length / stop.Elapsed.TotalSeconds:N0} checks/s; " +
                              $"latency p50 {P(all, 0.50):N2} ms, p95 {P(all, 0.95):N2} ms, p99 {P(all, 0.99):N2} ms, max {all[^1]:N1} ms");
    }

    private static async Task OpenLoopAsync(HttpClient http, byte[][] bodies, int rate, TimeSpan duration)
    {
        var total = (int)(rate * duration.TotalSeconds);
        var latencies = new double[total];
        var lags = new double[total];
        var tasks = new Task[total];
        var clock = Stopwatch.StartNew();
        // A dedicated pacing thread (not the thread pool, which the responses keep busy): it starts every
        // request that is due, then sleeps about a millisecond, so at 10,000/s about ten start together.
        var pacer = new Thread(() =>
        {
            for (var sent = 0; sent < total;)
            {
                var due = (int)Math.Min(total, clock.Elapsed.TotalSeconds * rate);
                for (; sent < due; sent++)
                {
                    var n = sent;
                    var scheduled = TimeSpan.FromSeconds((double)n / rate);
                    lags[n] = (clock.Elapsed - scheduled).TotalMilliseconds;
                    tasks[n] = SendAsync(http, bodies[n % bodies.Length]).ContinueWith(
                        _ => latencies[n] = (clock.Elapsed - scheduled).TotalMilliseconds, TaskContinuationOptions.ExecuteSynchronously);
                }
                Thread.Sleep(1);
            }
        }) { IsBackground = true, Priority = ThreadPriority.Highest };
        pacer.Start();
        await Task.Run(pacer.Join);
        await Task.WhenAll(tasks);
        var elapsed = clock.Elapsed;
        var sorted = latencies.Order().ToArray();
        var lag = lags.Order().ToArray();
        Console.WriteLine($"HTTP open loop: offered {rate:N0} checks/s, achieved {total / elapsed.TotalSeconds:N0} checks/s over {elapsed.TotalSeconds:N1} s; " +
                          $"latency from scheduled send p50 {P(sorted, 0.50):N2} ms, p95 {P(sorted, 0.95):N2} ms, p99 {P(sorted, 0.99):N2} ms, max {sorted[^1]:N1} ms " +
                          $"(of which the pacer's own lag in starting a request: p50 {P(lag, 0.50):N2} ms, p99 {P(lag, 0.99):N2} ms)");
    }

    private static async Task SendAsync(HttpClient http, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync("/v1/authorize", content);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
        await response.Content.CopyToAsync(Stream.Null);
    }

    private static async Task PutAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task PostAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: {await response.Content.ReadAsStringAsync()}");
    }

    private static double P(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
