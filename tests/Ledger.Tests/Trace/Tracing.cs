using System.Net;
using System.Text;
using System.Text.Json;
using Ledger.Tests.Credits;
using Ledger.Tests.Invoices;
using Ledger.Tests.Rating;
using Ledger.Tests.Revenue;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;
using static Ledger.Tests.Support.RatingProbes;

namespace Ledger.Tests.Trace;

[Collection(LedgerCollection.Name)]
public sealed class when_a_journal_entry_is_traced_to_its_raw_events(LedgerFixture ledger)
{
    private readonly JournalScenario _journal = new(ledger);
    private readonly TraceProbes _trace = new(ledger);

    [Fact]
    public async Task a_usage_entry_ties_at_every_hop_down_to_chained_raw_events()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-09-10T08:00:00Z", 1_234_567); // 1.234567
        await s.UseAsync("2026-09-10T09:00:00Z", 2_000_001); // 2.000001
        await s.UseAsync("2026-09-10T10:00:00Z", 3);          // 0.000003
        await _journal.PostAsync();
        await _trace.ChainedAndCheckpointedAsync();
        var entry = Assert.Single(await _journal.EntriesAsync(s.Customer));

        var trace = await _trace.EntryAsync(entry.Id);
        Assert.Equal(("usage_events", "3.234571", "3.234571", 3L, true),
            (S(trace, "hop"), S(trace, "parent_amount"), S(trace, "children_sum"), trace.GetProperty("children_count").GetInt64(), trace.GetProperty("ties").GetBoolean()));
        var events = trace.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(["1.234567", "2.000001", "0.000003"], events.Select(e => S(e, "share")));
        foreach (var e in events)
        {
            // rated amount = drawdowns + uncovered; here nothing paid, so all of it is uncovered and is the entry's share
            Assert.Equal((S(e, "amount"), S(e, "amount"), true), (S(e, "share"), S(e.GetProperty("paid"), "uncovered"), e.GetProperty("paid").GetProperty("ties").GetBoolean()));
            Assert.Equal((s.Rating.Book, 1, "m"), (S(e.GetProperty("priced_by"), "price_book"), e.GetProperty("priced_by").GetProperty("price_version").GetInt32(),
                S(e.GetProperty("priced_by"), "rule")));
            var raw = e.GetProperty("raw");
            Assert.Equal((S(e, "source"), S(e, "id")), (S(raw.GetProperty("event"), "source"), S(raw.GetProperty("event"), "id")));
            Assert.Equal(("linked", true), (S(raw.GetProperty("chain"), "status"), raw.GetProperty("chain").GetProperty("covered").GetBoolean()));
            Assert.Equal(64, S(raw.GetProperty("chain"), "hash").Length);
            Assert.Equal(entry.Id, Assert.Single(e.GetProperty("journal").EnumerateArray()).GetProperty("entry").GetInt64());
        }
        Assert.True(trace.GetProperty("checkpoint").GetProperty("signature_valid").GetBoolean());

        // The invoice entry: its lines add up to it, and the usage line's events add up to the line's exact amount.
        await s.IssuedAsync("2026-09-01");
        await _journal.PostAsync();
        var invoiceEntry = Assert.Single(await _journal.EntriesAsync(s.Customer), x => x.Kind == "invoice");
        var lines = await _trace.EntryAsync(invoiceEntry.Id);
        Assert.Equal(("invoice_lines", "3.23", "3.23", true), (S(lines, "hop"), S(lines, "parent_amount"), S(lines, "children_sum"), lines.GetProperty("ties").GetBoolean()));
        Assert.Equal("invoice_issued", S(lines.GetProperty("source_event"), "type"));
        var usageLine = Assert.Single(lines.GetProperty("lines").EnumerateArray());
        var lineEvents = await _trace.GetAsync(S(usageLine, "trace"));
        Assert.Equal(("invoice_line_events", "3.234571", "3.234571", 3L, true), (S(lineEvents, "hop"), S(lineEvents, "parent_amount"),
            S(lineEvents, "children_sum"), lineEvents.GetProperty("children_count").GetInt64(), lineEvents.GetProperty("ties").GetBoolean()));
        Assert.All(lineEvents.GetProperty("events").EnumerateArray(), e => Assert.Equal(S(e, "amount"), S(e, "share")));
        Assert.All(lineEvents.GetProperty("events").EnumerateArray(), e => Assert.Equal(S(invoiceEntry.Json.GetProperty("cause"), "invoice"),
            S(Assert.Single(e.GetProperty("invoices").EnumerateArray()), "invoice")));
    }

    [Fact]
    public async Task credit_drawn_usage_traces_to_the_drawdowns_and_the_grant_to_its_fact()
    {
        var s = new CreditScenario(ledger);
        await s.StartAsync();
        await s.GrantAsync("prepaid", 10m);
        await s.UseAsync(3);
        await s.UseAsync(12); // 7 from the rest of the credit, 5 uncovered
        await _journal.PostAsync();
        var entries = await _journal.EntriesAsync(s.Customer);

        var credits = await _trace.EntryAsync(entries.Single(e => e.Kind == "usage_credits").Id);
        Assert.Equal(("10.00", "10.00", true), (S(credits, "parent_amount"), S(credits, "children_sum"), credits.GetProperty("ties").GetBoolean()));
        var events = credits.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(["3.00", "7.00"], events.Select(e => S(e, "share")));
        foreach (var e in events)
        {
            var drawdown = Assert.Single(e.GetProperty("paid").GetProperty("drawdowns").EnumerateArray());
            Assert.Equal(("prepaid", "purchased", S(e, "share")), (S(drawdown, "grant"), S(drawdown, "kind"), S(drawdown, "amount")));
            Assert.True(e.GetProperty("paid").GetProperty("ties").GetBoolean());
        }
        Assert.Equal(("12.00", "5.00"), (S(events[1], "amount"), S(events[1].GetProperty("paid"), "uncovered")));

        var purchase = await _trace.EntryAsync(entries.Single(e => e.Kind == "credit_purchase").Id);
        Assert.Equal(("grant", "10.00", "10.00", true), (S(purchase, "hop"), S(purchase, "parent_amount"), S(purchase, "children_sum"), purchase.GetProperty("ties").GetBoolean()));
        var grant = purchase.GetProperty("grant");
        Assert.Equal(("prepaid", "10.00", "10.00"), (S(grant, "grant"), S(grant, "granted"), S(grant, "drawn")));
        Assert.Equal("credit_granted", S(grant.GetProperty("event"), "type"));
    }

    [Fact]
    public async Task a_fee_entry_traces_to_its_invoice_line_and_the_line_to_its_days()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.StartContractAsync($$$"""
            {"id": "trace-{{{s.Customer}}}", "starts_at": "2026-04-01T00:00:00Z", "period": {"kind": "month", "anchor_day": 1},
             "fee": {"amount": "100.00", "timing": "arrears"}}
            """);
        await s.IssuedAsync("2026-04-01");
        await _journal.PostAsync();
        var entries = await _journal.EntriesAsync(s.Customer);

        var day = await _trace.EntryAsync(entries.First(e => e.Kind == "subscription_fee").Id);
        Assert.Equal(("fee_line_days", "100.00", "100.00", 30L, true), (S(day, "hop"), S(day, "parent_amount"), S(day, "children_sum"),
            day.GetProperty("children_count").GetInt64(), day.GetProperty("ties").GetBoolean()));
        Assert.Equal("fee", S(Assert.Single(day.GetProperty("lines").EnumerateArray()), "kind"));

        var invoice = entries.Single(e => e.Kind == "invoice");
        var lines = await _trace.EntryAsync(invoice.Id);
        Assert.Equal(("100.00", "100.00", true), (S(lines, "parent_amount"), S(lines, "children_sum"), lines.GetProperty("ties").GetBoolean()));
        Assert.False(Assert.Single(lines.GetProperty("lines").EnumerateArray()).TryGetProperty("trace", out _)); // a fee bills no usage events
        await AssertProblemAsync(await ledger.Client.GetAsync($"/v1/revenue/entries/{invoice.Id}/trace?line=0"), HttpStatusCode.BadRequest, "line");
    }

    [Fact]
    public async Task every_usage_line_of_an_invoice_ties_to_its_events_credits_and_adjustments_included()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        Assert.Equal(HttpStatusCode.Created, (await ledger.Client.GrantAsync(s.Customer, """{"amount":"2.00","kind":"purchased","reference":"pre"}""")).StatusCode);
        await s.UseAsync("2026-09-10T12:00:00Z", 1_500_000); // 1.50, paid by credit
        await s.UseAsync("2026-09-11T12:00:00Z", 1_250_000); // 0.50 by credit, 0.75 uncovered
        await _journal.RatedAsync();
        await s.IssuedAsync("2026-09-01");
        await s.UseAsync("2026-09-20T12:00:00Z", 333_333);   // late: an adjustment on October's invoice
        await s.IssuedAsync("2026-10-01");
        await _journal.PostAsync();

        var traced = new List<(string Kind, string Parent, long Events)>();
        foreach (var invoice in (await _journal.EntriesAsync(s.Customer)).Where(e => e.Kind == "invoice"))
        {
            var lines = await _trace.EntryAsync(invoice.Id);
            Assert.True(lines.GetProperty("ties").GetBoolean(), lines.ToString());
            foreach (var line in lines.GetProperty("lines").EnumerateArray())
            {
                var events = await _trace.GetAsync(S(line, "trace"));
                Assert.True(events.GetProperty("ties").GetBoolean(), events.ToString());
                Assert.Equal(S(line, "unrounded"), S(events, "parent_amount"));
                traced.Add((S(line, "kind"), S(events, "parent_amount"), events.GetProperty("children_count").GetInt64()));
            }
        }
        Assert.Equal([("usage", "2.75", 2L), ("credits", "-2.00", 2L), ("adjustment", "0.333333", 1L)], traced);
    }

    [Fact]
    public async Task pages_of_a_hop_return_every_child_exactly_once()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        for (var i = 1; i <= 7; i++) await s.UseAsync($"2026-09-12T0{i}:00:00Z", i * 1_000_001);
        await _journal.PostAsync();
        var entry = Assert.Single(await _journal.EntriesAsync(s.Customer));

        var seen = new List<long>();
        var sum = 0m;
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await _trace.GetAsync($"/v1/revenue/entries/{entry.Id}/trace?limit=3" + (cursor is null ? "" : $"&cursor={cursor}"));
            Assert.Equal((7L, true), (page.GetProperty("children_count").GetInt64(), page.GetProperty("ties").GetBoolean()));
            foreach (var e in page.GetProperty("events").EnumerateArray())
            {
                seen.Add(e.GetProperty("sequence").GetInt64());
                sum += JournalScenario.D(S(e, "share"));
            }
            cursor = page.TryGetProperty("next_cursor", out var next) ? next.GetString() : null;
            pages++;
        } while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(7, seen.Distinct().Count());
        Assert.Equal(seen.Order(), seen);
        Assert.Equal(entry.Amount, sum);
    }

    [Fact]
    public async Task unknown_ids_are_404_and_bad_parameters_400_naming_the_field()
    {
        await AssertProblemAsync(await ledger.Client.GetAsync("/v1/revenue/entries/999999999999/trace"), HttpStatusCode.NotFound);
        await AssertProblemAsync(await ledger.Client.GetAsync("/v1/revenue/entries/abc/trace"), HttpStatusCode.NotFound);
        await AssertProblemAsync(await ledger.Client.GetAsync("/v1/revenue/entries/1/trace?limit=0"), HttpStatusCode.BadRequest, "limit");
        await AssertProblemAsync(await ledger.Client.GetAsync("/v1/revenue/entries/1/trace?limit=1001"), HttpStatusCode.BadRequest, "limit");
        await AssertProblemAsync(await ledger.Client.GetAsync("/v1/revenue/entries/1/trace?cursor=x"), HttpStatusCode.BadRequest, "cursor");
        await AssertProblemAsync(await ledger.Client.GetAsync($"/v1/events/{Uri.EscapeDataString("//nowhere")}/none/trace"), HttpStatusCode.NotFound);

        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-09-10T08:00:00Z", 1_000_000);
        await _journal.PostAsync();
        var entry = Assert.Single(await _journal.EntriesAsync(s.Customer));
        await AssertProblemAsync(await ledger.Client.GetAsync($"/v1/revenue/entries/{entry.Id}/trace?line=0"), HttpStatusCode.BadRequest, "line");

        await AssertProblemAsync(await ledger.Client.GetAsync("/v1/disputes?from=2026-09-01T00:00:00Z&to=2026-10-01T00:00:00Z"), HttpStatusCode.BadRequest, "customer");
        await AssertProblemAsync(await ledger.Client.GetAsync($"/v1/disputes?customer={s.Customer}&from=yesterday&to=2026-10-01T00:00:00Z"), HttpStatusCode.BadRequest, "from");
        await AssertProblemAsync(await ledger.Client.GetAsync($"/v1/disputes?customer={s.Customer}&from=2026-10-01T00:00:00Z&to=2026-09-01T00:00:00Z"), HttpStatusCode.BadRequest, "to");
        await AssertProblemAsync(await ledger.Client.GetAsync($"/v1/disputes?customer={s.Customer}&from=2026-09-01T00:00:00Z&to=2026-10-01T00:00:00Z&cursor=1"), HttpStatusCode.BadRequest, "cursor");
    }

    private static string S(JsonElement e, string name) => e.GetProperty(name).GetString()!;
}

[Collection(LedgerCollection.Name)]
public sealed class when_a_usage_event_is_traced_up_to_revenue(LedgerFixture ledger)
{
    private readonly JournalScenario _journal = new(ledger);
    private readonly TraceProbes _trace = new(ledger);

    [Fact]
    public async Task after_late_re_rating_its_journal_shares_add_up_to_its_current_amount()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        var id = await s.UseAsync("2026-08-10T12:00:00Z", 3_000_000); // 3.00
        await _journal.PostAsync();
        await s.Rating.PublishAsync(RatingScenario.FlatBook("2026-08-01T00:00:00Z", "2.50", backdate: true)); // 7.50
        await ledger.Client.UsageWhenAsync(s.Customer, "?from=2026-08-01T00:00:00Z&to=2026-09-01T00:00:00Z", u => u.Total() == "7.50");
        await _journal.PostAsync();
        await s.Rating.PublishAsync(RatingScenario.FlatBook("2026-08-05T00:00:00Z", "0.50", backdate: true)); // 1.50
        await ledger.Client.UsageWhenAsync(s.Customer, "?from=2026-08-01T00:00:00Z&to=2026-09-01T00:00:00Z", u => u.Total() == "1.50");
        await _journal.PostAsync();

        var trace = await _trace.GetAsync($"/v1/events/{Uri.EscapeDataString(s.Rating.Source)}/{id}/trace");
        var e = trace.GetProperty("event");
        Assert.Equal(("1.50", 3), (S(e, "amount"), e.GetProperty("priced_by").GetProperty("price_version").GetInt32()));
        Assert.Equal(["3.00", "4.50", "-6.00"], e.GetProperty("journal").EnumerateArray().Select(j => S(j, "amount")));
        Assert.All(e.GetProperty("journal").EnumerateArray(), j => Assert.Equal("usage_uncovered", S(j, "kind")));
        Assert.Equal(("1.50", "1.50", true), (S(e.GetProperty("revenue"), "journal"), S(e.GetProperty("revenue"), "expected"),
            e.GetProperty("revenue").GetProperty("ties").GetBoolean()));
        Assert.Equal(("ai.usage", s.Customer), (S(e.GetProperty("raw").GetProperty("event"), "type"), S(e.GetProperty("raw").GetProperty("event"), "subject")));

        // Invoiced, then re-rated again: the invoice billed 1.50; the next one bills the change.
        await s.IssuedAsync("2026-08-01");
        await s.Rating.PublishAsync(RatingScenario.FlatBook("2026-08-06T00:00:00Z", "1.00", backdate: true)); // 3.00
        await ledger.Client.UsageWhenAsync(s.Customer, "?from=2026-08-01T00:00:00Z&to=2026-09-01T00:00:00Z", u => u.Total() == "3.00");
        var billed = (await _trace.GetAsync($"/v1/events/{Uri.EscapeDataString(s.Rating.Source)}/{id}/trace")).GetProperty("billed");
        Assert.Equal(("1.50", "3.00", "1.50"), (S(billed, "billed"), S(billed, "current"), S(billed, "to_bill")));
    }

    [Fact]
    public async Task a_dispute_query_finds_the_window_s_events_of_a_model_and_by_request_id()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        var time = RatingScenario.At;
        await s.Rating.SendAsync(time("2026-09-03T10:00:00Z"), new { model = "m", input_tokens = 1_000_000, request_id = "req-a" });
        await s.Rating.SendAsync(time("2026-09-04T10:00:00Z"), new { model = "other", input_tokens = 5 });
        await s.Rating.SendAsync(time("2026-09-05T10:00:00Z"), new { model = "m", input_tokens = 2_000_000, request_id = "req-b" });
        await s.Rating.SendAsync(time("2026-10-02T10:00:00Z"), new { model = "m", input_tokens = 4_000_000 });
        await _journal.RatedAsync();
        await s.IssuedAsync("2026-09-01");

        var page = await _trace.GetAsync($"/v1/disputes?customer={s.Customer}&from=2026-09-01T00:00:00Z&to=2026-10-01T00:00:00Z&model=m&limit=1");
        var first = Assert.Single(page.GetProperty("events").EnumerateArray());
        Assert.Equal(("1.00", "req-a"), (S(first, "amount"), S(first, "request_id")));
        Assert.Equal("1.00", S(Assert.Single(first.GetProperty("invoices").EnumerateArray()), "amount_billed"));
        var rest = await _trace.GetAsync($"/v1/disputes?customer={s.Customer}&from=2026-09-01T00:00:00Z&to=2026-10-01T00:00:00Z&model=m&limit=1&cursor={S(page, "next_cursor")}");
        var second = Assert.Single(rest.GetProperty("events").EnumerateArray());
        Assert.Equal("2.00", S(second, "amount"));
        Assert.False(rest.TryGetProperty("next_cursor", out _));
        Assert.Equal("e3", S(await _trace.GetAsync(S(second, "trace")), "event", "id"));

        var byRequest = await _trace.GetAsync($"/v1/disputes?customer={s.Customer}&request_id=req-b");
        Assert.Equal("e3", S(Assert.Single(byRequest.GetProperty("events").EnumerateArray()), "id"));
    }

    private static string S(JsonElement e, string name) => e.GetProperty(name).GetString()!;
    private static string S(JsonElement e, string a, string b) => e.GetProperty(a).GetProperty(b).GetString()!;
}

/// <summary>Trace reads through the HTTP API.</summary>
public sealed class TraceProbes(LedgerFixture ledger)
{
    public Task<JsonElement> EntryAsync(long id) => GetAsync($"/v1/revenue/entries/{id}/trace");

    public async Task<JsonElement> GetAsync(string path)
    {
        var response = await ledger.Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Waits until the chainer has chained every event stored so far, then takes a signed checkpoint of the head.</summary>
    public async Task ChainedAndCheckpointedAsync()
    {
        await using var max = ledger.Database.CreateCommand("select coalesce(max(seq_id), 0) from ledger.mt_events");
        var position = (long)(await max.ExecuteScalarAsync())!;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await using var cmd = ledger.Database.CreateCommand("select seq from ledger.event_chain_head");
            if ((long)(await cmd.ExecuteScalarAsync())! >= position) break;
            Assert.True(DateTime.UtcNow < deadline, $"the chain never reached {position}");
            await Task.Delay(50);
        }
        var response = await ledger.Client.PostAsync("/v1/audit/checkpoints", new StringContent("", Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}
