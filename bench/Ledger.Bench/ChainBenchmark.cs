using System.Diagnostics;
using System.Net.Http.Headers;
using Ledger.Audit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Ledger.Bench;

/// <summary>
/// The audit chainer's catch-up throughput: ingest a backlog with the chainer (and the daemon) off, mark
/// it all committed (the high-water mark the daemon would set), then time <see cref="Chainer.ChainBatchAsync"/>
/// until the chain head reaches the end of the log, and check the result with the verifier.
/// </summary>
public static class ChainBenchmark
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var events = args.Int("events", 100_000);
        var batch = args.Int("batch", Chainer.DefaultBatch);
        await using var target = await Target.StartAsync(null, "Disabled", "--Ledger:Audit:Chainer", "false");
        using var http = new HttpClient { BaseAddress = new Uri(target.Url), Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", target.ApiKey);
        Console.WriteLine($"chain: {events:N0} events backlog, {batch:N0} per chain transaction, {Environment.ProcessorCount} cores");
        foreach (var body in Batches.Build("//bench/chain", events, 1000, 100, DateTimeOffset.UtcNow.AddMinutes(-5)))
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents-batch+json");
            using var response = await http.PostAsync("/v1/events", content);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
        }
        var db = target.Services.GetRequiredService<NpgsqlDataSource>();
        await using (var mark = db.CreateCommand(
            "select ledger.mt_mark_event_progression('HighWaterMark', (select max(seq_id) from ledger.mt_events)); analyze ledger.mt_events"))
            await mark.ExecuteNonQueryAsync();

        var clock = Stopwatch.StartNew();
        long chained = 0;
        int n;
        while ((n = await Chainer.ChainBatchAsync(db, batch, CancellationToken.None)) > 0) chained += n;
        clock.Stop();
        Console.WriteLine($"chainer catch-up: {chained / clock.Elapsed.TotalSeconds:N0} events/s ({chained:N0} events in {clock.Elapsed.TotalSeconds:N2} s)");

        clock.Restart();
        var report = await VerifyChain.RunAsync(db, target.Services.GetRequiredService<AuditSigningKey>(), null, CancellationToken.None);
        clock.Stop();
        Console.WriteLine($"verify: valid={report.Valid}, {report.Checked:N0} events in {clock.Elapsed.TotalSeconds:N2} s ({report.Checked / clock.Elapsed.TotalSeconds:N0} events/s)");
        return report.Valid && report.Checked == chained ? 0 : 1;
    }
}
