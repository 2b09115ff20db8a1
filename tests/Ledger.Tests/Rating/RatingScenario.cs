using System.Globalization;
using System.Net;
using System.Text.Json;
using JasperFx.Events.Daemon;
using Ledger.Rating;
using Ledger.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using static Ledger.Tests.Support.RatingProbes;

namespace Ledger.Tests.Rating;

/// <summary>
/// One rating scenario through the HTTP API: its own price book, customer and event source (the
/// database is shared and keeps every event), and reads of what rating made of its usage.
/// </summary>
public sealed class RatingScenario(LedgerFixture ledger)
{
    public string Customer { get; } = LedgerProbes.NewCustomer();
    public string Book { get; } = NewBook();
    public string Source { get; } = CloudEvents.NewSource("rating");
    private int _events;

    public static string NewBook() => $"book-{Guid.NewGuid():N}";

    /// <summary>A version with one rule for model "m": input tokens at <paramref name="input"/> per million.</summary>
    public static string FlatBook(string effectiveFrom, string input, bool backdate = false, string per = "1000000") => $$"""
        { "currency": "USD", "effective_from": "{{effectiveFrom}}", "backdate": {{(backdate ? "true" : "false")}},
          "rules": [ { "id": "m", "match": { "model": "m" }, "per": {{per}}, "rates": { "input": "{{input}}" } } ] }
        """;

    public async Task PublishAsync(string json, string? book = null)
    {
        var response = await ledger.Client.PutJsonAsync($"/v1/price-books/{book ?? Book}", json);
        Assert.True(response.StatusCode == HttpStatusCode.Created,
            $"publishing answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>PUT /v1/customers/{id} (creates or updates), by default assigning <see cref="Book"/>.</summary>
    public async Task PutCustomerAsync(string? json = null)
    {
        var response = await ledger.Client.PutJsonAsync($"/v1/customers/{Customer}", json ?? $$"""{"price_book":"{{Book}}"}""");
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK,
            $"PUT customer answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>PUT of the customer with the ledger clock at <paramref name="at"/>, so the change is set at that instant.</summary>
    public async Task PutCustomerAtAsync(Instant at, string? json = null)
    {
        var original = ledger.Clock.GetCurrentInstant();
        try
        {
            ledger.Clock.Reset(at);
            await PutCustomerAsync(json);
        }
        finally
        {
            ledger.Clock.Reset(original);
        }
    }

    public async Task PutOverridesAsync(string json)
    {
        var response = await ledger.Client.PutJsonAsync($"/v1/customers/{Customer}/overrides", json);
        Assert.True(response.StatusCode == HttpStatusCode.Created,
            $"PUT overrides answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Sends one usage event of the customer, asserting it is accepted; returns its id.</summary>
    public async Task<string> SendAsync(DateTimeOffset time, object data)
    {
        var id = $"e{++_events}";
        var report = await LedgerProbes.AssertReportAsync(await ledger.Client.PostBatchAsync([Event(Source, id, Customer, time, data)]));
        Assert.True(report.Count("accepted") == 1, report.ToString());
        return id;
    }

    /// <summary>Sends one usage event with the ledger clock at <paramref name="recordedAt"/>, so it is recorded at that instant.</summary>
    public async Task<string> SendRecordedAtAsync(Instant recordedAt, DateTimeOffset time, object data)
    {
        var original = ledger.Clock.GetCurrentInstant();
        try
        {
            ledger.Clock.Reset(recordedAt);
            return await SendAsync(time, data);
        }
        finally
        {
            ledger.Clock.Reset(original);
        }
    }

    public static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);

    private static string Rfc3339(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    public static string Window(DateTimeOffset from, DateTimeOffset to, string groupBy = "") =>
        $"?from={Uri.EscapeDataString(Rfc3339(from))}&to={Uri.EscapeDataString(Rfc3339(to))}" + (groupBy.Length == 0 ? "" : $"&group_by={groupBy}");

    /// <summary>Polls the usage in [from, to) until <paramref name="done"/> holds.</summary>
    public Task<JsonElement> UsageWhenAsync(DateTimeOffset from, DateTimeOffset to, Func<JsonElement, bool> done, string groupBy = "") =>
        ledger.Client.UsageWhenAsync(Customer, Window(from, to, groupBy), done);

    /// <summary>The usage in [from, to) once rating has reached every event stored so far (as_of at the log's end).</summary>
    public async Task<JsonElement> UsageCaughtUpAsync(DateTimeOffset from, DateTimeOffset to, string groupBy = "")
    {
        var position = await PositionAsync();
        return await UsageWhenAsync(from, to, u => u.GetProperty("as_of").GetInt64() >= position, groupBy);
    }

    /// <summary>The amount of the usage in the one second from <paramref name="at"/>, once rating has caught up.</summary>
    public async Task<string> AmountAtAsync(DateTimeOffset at) => (await UsageCaughtUpAsync(at, at.AddSeconds(1))).Total();

    /// <summary>
    /// Rebuilds the rating projection in the host's own daemon, which hard-stops its running rating shard
    /// before tearing the tables down, so nothing else writes the rows meanwhile (a second daemon from
    /// <c>BuildProjectionDaemonAsync</c> would race the host's, both writing rows and progress). The
    /// daemon leaves the shard stopped after a rebuild: start it again and wait until it has caught up.
    /// </summary>
    public static async Task RebuildRatingsAsync(LedgerFixture ledger)
    {
        var daemon = ledger.Factory.Services.GetRequiredService<IProjectionCoordinator>().DaemonForMainDatabase();
        // Generous: after the million-event reconciliation, a rebuild on two busy cores takes about three minutes.
        await daemon.RebuildProjectionAsync(RatingProjection.Name, TimeSpan.FromMinutes(10), CancellationToken.None);
        await daemon.StartAgentAsync(RatingProjection.Name, CancellationToken.None);
        var probe = new RatingScenario(ledger);
        await probe.PutCustomerAsync("{}");
        await probe.UsageCaughtUpAsync(At("2026-10-01T00:00:00Z"), At("2026-12-01T00:00:00Z"));
    }

    /// <summary>The last sequence number of the event log.</summary>
    public async Task<long> PositionAsync()
    {
        await using var cmd = ledger.Database.CreateCommand("select coalesce(max(seq_id), 0) from ledger.mt_events");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>Polls the customer's stored rows (see <see cref="RowsAsync"/>) until <paramref name="done"/> holds.</summary>
    public async Task<List<(string Id, string Status, decimal? Amount, int? PriceVersion, int? OverrideVersion)>> RowsWhenAsync(
        Func<List<(string Id, string Status, decimal? Amount, int? PriceVersion, int? OverrideVersion)>, bool> done, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var rows = await RowsAsync();
        while (!done(rows))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the rows of {Customer} never satisfied the condition; last: {string.Join("; ", rows)}");
            await Task.Delay(100);
            rows = await RowsAsync();
        }
        return rows;
    }

    /// <summary>The customer's rated rows as stored: (event id, status, amount, price version, override version), in ledger order.</summary>
    public async Task<List<(string Id, string Status, decimal? Amount, int? PriceVersion, int? OverrideVersion)>> RowsAsync()
    {
        await using var cmd = ledger.Database.CreateCommand("""
            select event_id, status, amount, price_version, override_version from ledger.rated_usage
            where customer_id = $1 and source = $2 order by seq
            """);
        cmd.Parameters.Add(new() { Value = Customer });
        cmd.Parameters.Add(new() { Value = Source });
        var rows = new List<(string, string, decimal?, int?, int?)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetDecimal(2),
                reader.IsDBNull(3) ? null : reader.GetInt32(3), reader.IsDBNull(4) ? null : reader.GetInt32(4)));
        return rows;
    }
}
