using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Tests.Rating;
using Ledger.Tests.Support;
using static Ledger.Tests.Invoices.InvoiceScenario;

namespace Ledger.Tests.Invoices;

/// <summary>
/// A generated ledger of a million usage events (LEDGER_RECONCILIATION_EVENTS overrides the count) across a
/// contract amendment, late events for invoiced periods and credit top-ups, closed period by period: every
/// invoice adds up to the events it bills to the last decimal digit, and every event is billed once.
/// </summary>
[Collection(LedgerCollection.Name)]
public sealed class invoices_reconcile_to_the_event_at_scale(LedgerFixture ledger)
{
    private static readonly int Events = int.TryParse(Environment.GetEnvironmentVariable("LEDGER_RECONCILIATION_EVENTS"), out var n) ? n : 1_000_000;
    private readonly Random _random = new(20260127);
    private readonly string _source = CloudEvents.NewSource("reconciliation");
    private int _sent;

    [Fact]
    public async Task a_million_events_across_amendments_late_events_and_top_ups_reconcile_exactly()
    {
        var s = new InvoiceScenario(ledger);
        await s.Rating.PublishAsync("""
            { "currency": "USD", "effective_from": "2026-01-01T00:00:00Z",
              "rules": [ { "id": "m", "match": { "model": "m" }, "per": 1000, "rates": { "input": "0.0137", "output": "0.0411" } } ] }
            """);
        await s.Rating.PutCustomerAsync();
        var contract = $"scale-{s.Customer}";
        await s.StartContractAsync($$$"""
            {"id": "{{{contract}}}", "starts_at": "2026-01-01T00:00:00Z", "period": {"kind": "month", "anchor_day": 1},
             "fee": {"amount": "99.00", "timing": "arrears"}, "minimum_commitment": {"amount": "900000.00"}}
            """);
        Assert.Equal(HttpStatusCode.Created, (await ledger.Client.PostAsync($"/v1/contracts/{contract}/amendments", new StringContent(
            """{"effective_at": "2026-02-14T12:00:00Z", "fee": {"amount": "149.00", "timing": "arrears"}}""", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        await GrantAsync(s.Customer, "scale-1", "2500.00");

        var jan = (From: RatingScenario.At("2026-01-01T00:00:00Z"), To: RatingScenario.At("2026-02-01T00:00:00Z"));
        var feb = (From: jan.To, To: RatingScenario.At("2026-03-01T00:00:00Z"));
        var mar = (From: feb.To, To: RatingScenario.At("2026-04-01T00:00:00Z"));
        await SendAsync(s.Customer, Events * 6 / 10, [jan, feb]);
        var january = await CloseCaughtUpAsync(s, "2026-01-01");
        await GrantAsync(s.Customer, "scale-2", "1000.00");
        await SendAsync(s.Customer, Events * 2 / 10, [jan, feb]);                 // half of them late for January
        var february = await CloseCaughtUpAsync(s, "2026-02-01");
        await GrantAsync(s.Customer, "scale-3", "500.00");
        await SendAsync(s.Customer, Events - _sent, [jan, feb, mar]);             // late for both, and March
        var march = await CloseCaughtUpAsync(s, "2026-03-01");
        Assert.Equal(Events, _sent);

        var billed = await BilledPerInvoiceAsync(s.Customer);
        foreach (var invoice in new[] { january, february, march })
        {
            var (usage, credits, allowance) = billed[S(invoice, "id")];
            var lines = invoice.GetProperty("lines").EnumerateArray().ToList();
            decimal Exact(Func<JsonElement, bool> which) =>
                lines.Where(which).Sum(l => decimal.Parse(S(l, "unrounded"), CultureInfo.InvariantCulture));
            bool Kind(JsonElement l, params string[] kinds) => kinds.Contains(S(l, "kind"));
            // Usage and adjustment lines bill exactly the events' rated amounts (or their changes); credits lines exactly what credits paid.
            Assert.Equal(usage, Exact(l => Kind(l, "usage") || Kind(l, "adjustment") && !S(l, "description").Contains("allowance")));
            Assert.Equal(-credits, Exact(l => Kind(l, "credits")));
            Assert.Equal(-allowance, Exact(l => Kind(l, "allowance") || Kind(l, "adjustment") && S(l, "description").Contains("allowance")));
            var feesAndTrueUp = Exact(l => Kind(l, "fee", "commitment_true_up"));
            Assert.Equal(usage - credits - allowance + feesAndTrueUp, decimal.Parse(S(invoice, "unrounded_total"), CultureInfo.InvariantCulture));
            // The lines add up to the total after rounding each once.
            Assert.Equal(lines.Sum(l => decimal.Parse(S(l, "amount"), CultureInfo.InvariantCulture)), decimal.Parse(S(invoice, "total"), CultureInfo.InvariantCulture));
        }
        Assert.True(january.GetProperty("lines").EnumerateArray().Count(l => S(l, "kind") == "fee") == 1);
        Assert.Equal(2, february.GetProperty("lines").EnumerateArray().Count(l => S(l, "kind") == "fee"));
        Assert.Contains(march.GetProperty("lines").EnumerateArray(), l => S(l, "kind") == "adjustment" && S(l.GetProperty("adjusts"), "invoice") == S(january, "id"));

        // Every rated event is billed for the first time on exactly one invoice, and what all invoices billed is what it is rated at now.
        await using var cmd = ledger.Database.CreateCommand("""
            with latest as (select distinct on (seq) seq, amount, credits, allowance from ledger.billed_usage where customer_id = $1 order by seq, invoice_seq desc)
            select (select count(*) from ledger.rated_usage where customer_id = $1 and status = 'rated'),
                   (select count(distinct seq) from ledger.billed_usage where customer_id = $1),
                   (select count(*) from ledger.rated_usage r join latest l using (seq)
                     where r.amount = l.amount and r.uncovered = r.amount - l.credits - l.allowance),
                   (select sum(amount) from ledger.rated_usage where customer_id = $1)
            """);
        cmd.Parameters.Add(new() { Value = s.Customer });
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal((Events, Events, Events), ((int)reader.GetInt64(0), (int)reader.GetInt64(1), (int)reader.GetInt64(2)));
        Assert.Equal(reader.GetDecimal(3), billed.Values.Sum(b => b.Usage));
    }

    /// <summary>Per invoice: what it billed of usage, credits and allowance — each event's state there less its state on the invoice before.</summary>
    private async Task<Dictionary<string, (decimal Usage, decimal Credits, decimal Allowance)>> BilledPerInvoiceAsync(string customer)
    {
        await using var cmd = ledger.Database.CreateCommand("""
            select i.invoice_id, sum(x.amount - x.prev_amount), sum(x.credits - x.prev_credits), sum(x.allowance - x.prev_allowance)
            from (select b.invoice_seq, b.amount, b.credits, b.allowance,
                         coalesce(lag(b.amount) over w, 0) as prev_amount, coalesce(lag(b.credits) over w, 0) as prev_credits,
                         coalesce(lag(b.allowance) over w, 0) as prev_allowance
                  from ledger.billed_usage b where b.customer_id = $1 window w as (partition by b.seq order by b.invoice_seq)) x
            join ledger.invoices i on i.seq = x.invoice_seq group by i.invoice_id
            """);
        cmd.Parameters.Add(new() { Value = customer });
        var result = new Dictionary<string, (decimal, decimal, decimal)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) result[reader.GetString(0)] = (reader.GetDecimal(1), reader.GetDecimal(2), reader.GetDecimal(3));
        return result;
    }

    private async Task GrantAsync(string customer, string reference, string amount)
    {
        var response = await ledger.Client.PostAsync($"/v1/customers/{customer}/credits", new StringContent(
            $$"""{"amount": "{{amount}}", "kind": "purchased", "reference": "{{reference}}"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    /// <summary>Sends <paramref name="count"/> events spread over the windows, in batches of 2,000, four at a time.</summary>
    private async Task SendAsync(string customer, int count, (DateTimeOffset From, DateTimeOffset To)[] windows)
    {
        var batches = new List<JsonObject[]>();
        for (var done = 0; done < count; done += 2_000)
            batches.Add(Enumerable.Range(0, Math.Min(2_000, count - done)).Select(_ => Next(customer, windows)).ToArray());
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (batch, ct) =>
        {
            var response = await ledger.Client.PostBatchAsync(batch);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(ct));
        });
    }

    private JsonObject Next(string customer, (DateTimeOffset From, DateTimeOffset To)[] windows)
    {
        var (from, to) = windows[_random.Next(windows.Length)];
        var time = from.AddSeconds(_random.NextDouble() * (to - from).TotalSeconds);
        return RatingProbes.Event(_source, $"e{++_sent}", customer, time, new { model = "m", input_tokens = _random.Next(1, 200_000), output_tokens = _random.Next(0, 5_000) });
    }

    /// <summary>Closes the period once rating has caught up with everything sent (a million events take rating a while).</summary>
    private async Task<JsonElement> CloseCaughtUpAsync(InvoiceScenario s, string period)
    {
        var position = await s.Rating.PositionAsync();
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            await using var cmd = ledger.Database.CreateCommand(Ledger.Rating.RatingProjection.PositionSql);
            if ((long)(await cmd.ExecuteScalarAsync())! >= position) break;
            Assert.True(DateTime.UtcNow < deadline, $"rating never reached {position}");
            await Task.Delay(250);
        }
        return await s.IssuedAsync(period);
    }
}
