using System.Diagnostics;
using System.Net.Mime;
using System.Text.Json;
using CloudNative.CloudEvents.SystemTextJson;
using Ledger.Usage;
using NodaTime;

namespace Ledger.Bench;

/// <summary>The ledger's CloudEvents reader against the CNCF SDK's decoder, on the same batch, one core.</summary>
public static class ParseBenchmark
{
    public static int Run(BenchArgs args)
    {
        var batchSize = args.Int("batch", 1000);
        var rounds = args.Int("rounds", 200);
        var batch = Batches.Build("//bench/parse", batchSize, batchSize, 100, DateTimeOffset.UtcNow.AddMinutes(-1))[0];
        var reader = new CloudEventReader(new IngestOptions());
        var formatter = new JsonEventFormatter();
        var contentType = new ContentType("application/cloudevents-batch+json");
        var now = SystemClock.Instance.GetCurrentInstant();

        Measure("ledger reader (JsonDocument -> validated UsageRecorded)", batchSize, rounds, () =>
        {
            using var doc = JsonDocument.Parse(batch);
            return reader.Read(doc.RootElement, now).Events.Count;
        });
        Measure("JsonDocument.Parse alone (the floor)", batchSize, rounds, () =>
        {
            using var doc = JsonDocument.Parse(batch);
            return doc.RootElement.GetArrayLength();
        });
        var times = Enumerable.Range(0, batchSize).Select(_ => "2026-11-27T10:00:00.123Z").ToArray();
        Measure("NodaTime RFC 3339 parse alone", batchSize, rounds, () =>
        {
            var n = 0;
            foreach (var t in times) n += NodaTime.Text.OffsetDateTimePattern.Rfc3339.Parse(t).Success ? 1 : 0;
            return n;
        });
        var storeOptions = new Marten.StoreOptions();
        Ledger.Hosting.LedgerApp.ConfigureMarten(storeOptions);
        var serializer = storeOptions.Serializer();
        var usages = reader.Read(JsonDocument.Parse(batch).RootElement, now).Events;
        Measure("Marten serializer ToJson of UsageRecorded", batchSize, rounds, () =>
        {
            var n = 0;
            foreach (var u in usages) n += serializer.ToJson(u.Usage).Length;
            return n;
        });
        Measure("EventKey.ToEventId", batchSize, rounds, () =>
        {
            var n = 0;
            foreach (var u in usages) n += EventKey.ToEventId(u.Usage.Source, u.Usage.EventId).GetHashCode() & 1;
            return n;
        });
        Measure("CloudEvents SDK DecodeBatchModeMessage (no validation of data)", batchSize, rounds, () =>
            formatter.DecodeBatchModeMessage(batch, contentType, null).Count);
        return 0;
    }

    private static void Measure(string name, int batchSize, int rounds, Func<int> parse)
    {
        for (var i = 0; i < 20; i++) parse();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < rounds; i++) parse();
        clock.Stop();
        var perEvent = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)(rounds * batchSize);
        Console.WriteLine($"{name}: {rounds * batchSize / clock.Elapsed.TotalSeconds:N0} events/s, {perEvent:N0} bytes allocated per event");
    }
}
