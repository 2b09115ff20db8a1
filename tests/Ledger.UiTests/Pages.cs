using System.Text.RegularExpressions;
using Ledger.Access;
using Ledger.Audit;
using Ledger.Usage;
using Microsoft.Playwright;
using Npgsql;
using static Microsoft.Playwright.Assertions;

namespace Ledger.UiTests;

/// <summary>A person at the pages under /ui, in a real (headless) Chromium. Each test leaves a screenshot in screenshots/.</summary>
[Collection(UiCollection.Name)]
public sealed class when_a_person_uses_the_pages(UiFixture ui)
{
    private Seed Seed => ui.Seed;

    [Fact]
    public async Task sign_in_refuses_a_wrong_key_and_a_customer_key_sees_only_its_customer()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync("/ui/audit");
        await Expect(page).ToHaveURLAsync(new Regex("/ui/sign-in"));
        await page.GetByLabel("API key").FillAsync("ldg_0123456789abcdef_not-the-secret-of-any-key-at-all");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("unknown or revoked");
        await Expect(page).ToHaveURLAsync(new Regex("/ui/sign-in"));
        await UiFixture.AssertAccessibleAsync(page);
        await UiFixture.ScreenshotAsync(page, "sign-in-refused");

        var key = await IssueKeyAsync($$"""{"name":"ui dashboard","scopes":["customer:read"],"customer_id":"{{Seed.Customer}}"}""");
        var customer = await ui.SignedInAsync(key);
        await Expect(customer).ToHaveURLAsync(new Regex($"/ui/customers/{Seed.Customer}$"));
        await customer.GotoAsync("/ui/customers/someone-else");
        await Expect(customer.GetByRole(AriaRole.Alert)).ToContainTextAsync($"reads only customer \"{Seed.Customer}\"");
        var audit = await customer.GotoAsync("/ui/audit");
        Assert.Equal(403, audit!.Status);

        await customer.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(customer.GetByRole(AriaRole.Status)).ToContainTextAsync("signed out");
        await customer.GotoAsync($"/ui/customers/{Seed.Customer}");
        await Expect(customer).ToHaveURLAsync(new Regex("/ui/sign-in"));

        // A form posted from another site is refused, sign-in included.
        var forged = new HttpRequestMessage(HttpMethod.Post, $"{ui.BaseUrl}/ui/sign-in")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = ui.Ledger.AdminKey }),
            Headers = { { "Origin", "https://elsewhere.example" } },
        };
        using var http = new HttpClient();
        var refused = await http.SendAsync(forged);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.False(refused.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task the_lookup_finds_a_customer_an_invoice_and_an_event()
    {
        var page = await ui.SignedInAsync();
        await SearchAsync(page, Seed.Customer);
        await page.GetByRole(AriaRole.Link, new() { Name = Seed.Customer }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Customer {Seed.Customer}");

        await SearchAsync(page, Seed.InvoiceNumber);
        await page.GetByRole(AriaRole.Link, new() { Name = Seed.InvoiceNumber }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Invoice {Seed.InvoiceNumber}");

        await SearchAsync(page, $"{Seed.Source}/{Seed.LastMonthEvent}");
        await UiFixture.AssertAccessibleAsync(page);
        await UiFixture.ScreenshotAsync(page, "lookup");
        await page.GetByRole(AriaRole.Link, new() { Name = $"{Seed.Source} {Seed.LastMonthEvent}" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Usage event");
        await Expect(page.Locator("main")).ToContainTextAsync("rated");
        await UiFixture.AssertAccessibleAsync(page);
        await UiFixture.ScreenshotAsync(page, "event");

        await SearchAsync(page, "no-such-thing-anywhere");
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Nothing found");
        var missing = await page.GotoAsync("/ui/no-such-page");
        Assert.Equal(404, missing!.Status);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Go to the lookup page" })).ToBeVisibleAsync();
        await UiFixture.AssertAccessibleAsync(page);
    }

    [Fact]
    public async Task the_customer_page_shows_spend_change_live_when_usage_arrives()
    {
        var page = await ui.SignedInAsync();
        await page.GotoAsync($"/ui/customers/{Seed.Customer}");
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.Locator(":focus")).ToHaveTextAsync("Skip to content");
        var spend = page.Locator("#period-spend");
        var before = (await spend.TextContentAsync())!;
        var draft = page.Locator("#draft-subtotal");
        var draftBefore = (await draft.TextContentAsync())!;
        Assert.Contains("$", before);
        await Expect(page.Locator("main")).ToContainTextAsync("50% of the $100.00 budget reached");
        await Expect(page.Locator("main")).ToContainTextAsync("order-ui-1");
        await Expect(page.Locator("main")).ToContainTextAsync(Seed.InvoiceNumber);
        await UiFixture.AssertAccessibleAsync(page);

        await Seed.IngestAsync(ui.Ledger.Client, Seed.Source, $"live-{Guid.NewGuid():N}", Seed.Customer,
            ui.Ledger.Clock.GetCurrentInstant().ToDateTimeOffset().AddMinutes(-1), 4_000_000, 0);

        await Expect(spend).Not.ToHaveTextAsync(before, new() { Timeout = 20_000 });
        await Expect(draft).Not.ToHaveTextAsync(draftBefore, new() { Timeout = 20_000 });
        await UiFixture.ScreenshotAsync(page, "customer");
    }

    [Fact]
    public async Task an_invoice_shows_and_its_proof_bundle_downloads_and_checks()
    {
        var page = await ui.SignedInAsync();
        await page.GotoAsync($"/ui/invoices/{Seed.InvoiceId}");
        await Expect(page.Locator("#invoice-total")).ToContainTextAsync("$");
        await UiFixture.AssertAccessibleAsync(page);
        await UiFixture.ScreenshotAsync(page, "invoice");

        var download = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Link, new() { Name = "Download proof bundle" }).ClickAsync());
        Assert.Equal($"proof-{Seed.InvoiceId}.json", download.SuggestedFilename);
        var bundle = await File.ReadAllTextAsync((await download.PathAsync())!);
        var verdict = ProofCheck.Check(bundle);
        Assert.True(verdict.Valid, verdict.Message);

        await page.GotoAsync($"/ui/invoices/{Seed.InvoiceId}/print");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync(Seed.InvoiceNumber);
        await UiFixture.AssertAccessibleAsync(page);
        await page.GotoAsync($"/ui/customers/{Seed.Customer}/invoices/upcoming");
        await UiFixture.AssertAccessibleAsync(page);
        await UiFixture.ScreenshotAsync(page, "invoice-draft");
    }

    [Fact]
    public async Task the_revenue_page_draws_its_tables_and_downloads_them_as_csv()
    {
        var page = await ui.SignedInAsync();
        await page.GotoAsync("/ui/revenue");
        await Expect(page.Locator("#roll-forward")).ToContainTextAsync("$50.00");
        await Expect(page.Locator("svg[role=img]").First).ToBeVisibleAsync();
        await UiFixture.AssertAccessibleAsync(page);
        await UiFixture.ScreenshotAsync(page, "revenue");

        var download = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Link, new() { Name = "Download the roll-forward (CSV)" }).ClickAsync());
        Assert.Equal("deferred-revenue.csv", download.SuggestedFilename);
        var csv = (await File.ReadAllLinesAsync((await download.PathAsync())!)).ToList();
        Assert.Equal("currency,period,opening,purchases,billings,recognised,breakage,voids,closing", csv[0]);
        Assert.Contains(csv, line => line.StartsWith("USD,") && line.Contains(",50.00,"));

        await Expect(page.Locator("#waterfall")).ToContainTextAsync("$50.00");
        await Expect(page.Locator("#billed-vs-recognised")).ToContainTextAsync(Seed.Customer);
        var waterfall = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Link, new() { Name = "Download the waterfall (CSV)" }).ClickAsync());
        Assert.Equal("revenue-waterfall.csv", waterfall.SuggestedFilename);
        Assert.StartsWith("currency,booked_in,booked,", (await File.ReadAllLinesAsync((await waterfall.PathAsync())!))[0]);
        var billed = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Link, new() { Name = "Download billed vs recognised (CSV)" }).ClickAsync());
        var billedCsv = await File.ReadAllLinesAsync((await billed.PathAsync())!);
        Assert.Equal("currency,customer,period,billed,recognised,unbilled_change,deferred_change,credit_notes", billedCsv[0]);
        Assert.Contains(billedCsv, line => line.Contains(Seed.Customer));

        await page.GotoAsync("/ui/revenue?from=bad");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("yyyy-MM");
    }

    [Fact]
    public async Task the_audit_page_verifies_the_log_and_names_a_tampered_event_as_broken()
    {
        var page = await ui.SignedInAsync();
        await page.GotoAsync("/ui/audit");
        var signed = await page.Locator("#checkpoints tbody tr").CountAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign a checkpoint now" }).ClickAsync();
        await Expect(page.Locator("#checkpoints tbody tr")).ToHaveCountAsync(signed + 1);
        await page.GetByRole(AriaRole.Button, new() { Name = "Run verification" }).ClickAsync();
        await Expect(page.Locator("#verdict")).ToHaveTextAsync("Verified");
        await UiFixture.AssertAccessibleAsync(page);
        await UiFixture.ScreenshotAsync(page, "audit-verified");

        var (sequence, original) = await RowAsync(Seed.Source, Seed.ThisMonthEvent);
        await TamperAsync("update ledger.mt_events set data = jsonb_set(data, '{meters,input_tokens}', '1') where seq_id = $1", sequence);
        try
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Run verification" }).ClickAsync();
            await Expect(page.Locator("#verdict")).ToHaveTextAsync("Broken");
            await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync($"{Seed.Source} {Seed.ThisMonthEvent}");
            await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("altered");
            await UiFixture.AssertAccessibleAsync(page);
            await UiFixture.ScreenshotAsync(page, "audit-broken");
        }
        finally
        {
            await TamperAsync("update ledger.mt_events set data = $2::jsonb where seq_id = $1", sequence, original);
        }
        await page.GetByRole(AriaRole.Button, new() { Name = "Run verification" }).ClickAsync();
        await Expect(page.Locator("#verdict")).ToHaveTextAsync("Verified");
    }

    [Fact]
    public async Task a_tester_follows_a_revenue_entry_down_to_the_raw_event()
    {
        var entry = await InvoiceEntryAsync(Seed.PaidInvoiceId);
        var page = await ui.SignedInAsync();
        await SearchAsync(page, entry.ToString());
        await page.GetByRole(AriaRole.Link, new() { NameRegex = new Regex($"^#{entry} ") }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Trace of journal entry #{entry}");
        await Expect(page.Locator("#ties")).ToHaveTextAsync("✓ Ties");
        await Expect(page.Locator("#checkpoint")).ToContainTextAsync("Verified against checkpoint");
        await UiFixture.AssertAccessibleAsync(page);
        await UiFixture.ScreenshotAsync(page, "trace-entry");

        // A large hop comes in pages (the API's cursor); the children's sum is over all pages.
        await page.GotoAsync($"/ui/trace/entries/{entry}?limit=1");
        await Expect(page.Locator("#trace-lines tbody tr")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Link, new() { Name = "Next page" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Trace line 1" })).ToBeVisibleAsync();
        await Expect(page.Locator("#ties")).ToHaveTextAsync("✓ Ties");
        // The page size is chosen on the page: 1,000 rows a page shows every line again, from the first.
        await page.GetByRole(AriaRole.Link, new() { Name = "1,000 rows per page" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/ui/trace/entries/{entry}\\?limit=1000$"));
        await Expect(page.Locator("#trace-lines tbody tr")).Not.ToHaveCountAsync(1);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Next page" })).ToHaveCountAsync(0);
        await Expect(page.Locator("#page-size strong")).ToHaveTextAsync("1,000");
        await Expect(page.Locator("#ties")).ToHaveTextAsync("✓ Ties");

        await page.GetByRole(AriaRole.Link, new() { Name = "Trace line 1" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 2 }).First).ToContainTextAsync("Invoice line 1");
        await Expect(page.Locator("#ties")).ToHaveTextAsync("✓ Ties");
        await Expect(page.Locator("#trace-events")).ToContainTextAsync("verified");
        await UiFixture.AssertAccessibleAsync(page);
        await UiFixture.ScreenshotAsync(page, "trace-line");

        await page.GetByRole(AriaRole.Link, new() { Name = $"{Seed.Source} {Seed.PaidEvent}" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Trace of event {Seed.PaidEvent}");
        await Expect(page.Locator("#raw-json")).ToContainTextAsync($"\"id\": \"{Seed.PaidEvent}\"");
        await Expect(page.Locator("#raw-json")).ToContainTextAsync("\"input_tokens\": 3000000");
        await Expect(page.Locator(".badge.chain")).ToHaveTextAsync("Hash chain verified");
        await Expect(page.Locator("#formula")).Not.ToHaveTextAsync("—");
        await Expect(page.Locator("#billed-on")).Not.ToBeEmptyAsync();
        await Expect(page.Locator("#journal-shares")).ToContainTextAsync("#");
        await UiFixture.AssertAccessibleAsync(page);
        await UiFixture.ScreenshotAsync(page, "trace-event");

        // The same chain from the invoice page: a usage line's Trace link opens that line's hop.
        await page.GotoAsync($"/ui/invoices/{Seed.PaidInvoiceId}");
        await page.GetByRole(AriaRole.Link, new() { NameRegex = new Regex("^Trace line ") }).First.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/ui/trace/entries/{entry}\\?line=\\d+$"));
        await Expect(page.Locator("#trace-events")).ToContainTextAsync(Seed.PaidEvent);
        // An invoice credits paid in full posts no journal entry: its usage lines open their period's events on the disputes page.
        await page.GotoAsync($"/ui/invoices/{Seed.InvoiceId}");
        await page.GetByRole(AriaRole.Link, new() { NameRegex = new Regex("^Usage events of line ") }).First.ClickAsync();
        await Expect(page.Locator("#disputes")).ToContainTextAsync(Seed.LastMonthEvent);
        await Expect(page.Locator("#disputes")).Not.ToContainTextAsync(Seed.ThisMonthEvent);
        // And from the event page.
        await page.GotoAsync($"/ui/events/{Uri.EscapeDataString(Seed.Source)}/{Seed.PaidEvent}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Trace this event" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Trace of event {Seed.PaidEvent}");
    }

    [Fact]
    public async Task a_credit_purchase_and_the_usage_it_paid_trace_down_to_their_raw_events()
    {
        var page = await ui.SignedInAsync();
        // The purchase: a grant entry shows the grant, what the entry posted for it, and the grant's event in the log.
        var purchase = await EntryAsync("credit_purchase", Seed.Customer);
        await page.GotoAsync($"/ui/trace/entries/{purchase}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 2 }).First).ToHaveTextAsync("Credit grant: the grant and its event");
        await Expect(page.Locator("#ties")).ToHaveTextAsync("✓ Ties");
        await Expect(page.Locator("#parent-amount")).ToHaveTextAsync("$50.00");
        await Expect(page.Locator("#grant-json")).ToContainTextAsync("order-ui-1");
        await Expect(page.Locator(".crumbs")).ToContainTextAsync("then the grant's event in the log");
        await Expect(page.Locator(".badge.chain")).ToHaveTextAsync("Hash chain verified");
        await UiFixture.AssertAccessibleAsync(page);
        await UiFixture.ScreenshotAsync(page, "trace-grant");

        // The usage the credit paid: recognised from the contract liability, its entry lists the event drawn down.
        var drawn = await EntryAsync("usage_credits", Seed.Customer);
        await page.GotoAsync($"/ui/trace/entries/{drawn}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 2 }).First).ToContainTextAsync("Usage events");
        await Expect(page.Locator("#ties")).ToHaveTextAsync("✓ Ties");
        await Expect(page.Locator("#trace-events")).ToContainTextAsync(Seed.LastMonthEvent);
        await Expect(page.Locator("#trace-events")).ToContainTextAsync("verified");
        await UiFixture.AssertAccessibleAsync(page);
        await UiFixture.ScreenshotAsync(page, "trace-credit-usage");
    }

    [Fact]
    public async Task the_trace_page_shows_a_broken_hash_badge_for_a_tampered_event()
    {
        var page = await ui.SignedInAsync();
        var path = $"/ui/trace/events/{Uri.EscapeDataString(Seed.Source)}/{Seed.ThisMonthEvent}";
        var (sequence, original) = await RowAsync(Seed.Source, Seed.ThisMonthEvent);
        await TamperAsync("update ledger.mt_events set data = jsonb_set(data, '{meters,input_tokens}', '7') where seq_id = $1", sequence);
        try
        {
            await page.GotoAsync(path);
            await Expect(page.Locator(".badge.chain")).ToHaveTextAsync("Hash chain broken");
            await Expect(page.Locator("#raw-json")).ToContainTextAsync("\"input_tokens\": 7");
            await UiFixture.AssertAccessibleAsync(page);
            await UiFixture.ScreenshotAsync(page, "trace-broken");
        }
        finally
        {
            await TamperAsync("update ledger.mt_events set data = $2::jsonb where seq_id = $1", sequence, original);
        }
        await page.GotoAsync(path);
        await Expect(page.Locator(".badge.chain")).Not.ToHaveTextAsync("Hash chain broken");
    }

    [Fact]
    public async Task support_finds_a_disputed_charge_and_downloads_it_as_csv()
    {
        var page = await ui.SignedInAsync();
        await page.GotoAsync("/ui/disputes");
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Enter the customer");
        await UiFixture.AssertAccessibleAsync(page);
        var now = ui.Ledger.Clock.GetCurrentInstant().InUtc().Date;
        await page.GetByLabel("Customer").FillAsync(Seed.Customer);
        await page.GetByLabel("From day").FillAsync(now.PlusMonths(-2).ToString("uuuu-MM-dd", null));
        await page.GetByLabel("To day (included)").FillAsync(now.PlusDays(1).ToString("uuuu-MM-dd", null));
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Expect(page.Locator("#disputes")).ToContainTextAsync($"{Seed.Source} {Seed.LastMonthEvent}");
        await Expect(page.Locator("#disputes")).ToContainTextAsync(Seed.InvoiceNumber);
        await UiFixture.AssertAccessibleAsync(page);
        await UiFixture.ScreenshotAsync(page, "disputes");

        var download = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Link, new() { Name = "Download for the ticket (CSV)" }).ClickAsync());
        Assert.EndsWith(".csv", download.SuggestedFilename);
        var csv = await File.ReadAllLinesAsync((await download.PathAsync())!);
        Assert.Equal("sequence,source,id,usage_at_utc,usage_at_local,model,request_id,status,amount,currency,invoices,trace", csv[0]);
        Assert.Contains(csv, line => line.Contains($",{Seed.LastMonthEvent},") && line.Contains(Seed.InvoiceNumber) && line.Contains(",USD,"));

        await page.GetByLabel("Model").FillAsync("no-such-model");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("No usage events");
    }

    /// <summary>
    /// The customer's journal entry of a kind with the earliest service date (the journal has posted once the seed is planted; other
    /// tests add usage of today, so the seed's last-month usage comes first).
    /// </summary>
    private async Task<long> EntryAsync(string kind, string customer)
    {
        await using var cmd = ui.Ledger.Database.CreateCommand(
            "select entry_id from ledger.journal_entries where kind = $1 and customer_id = $2 order by service_date, entry_id limit 1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = kind });
        cmd.Parameters.Add(new NpgsqlParameter { Value = customer });
        return await cmd.ExecuteScalarAsync() as long? ?? throw new InvalidOperationException($"No {kind} entry for {customer}");
    }

    private async Task<long> InvoiceEntryAsync(string invoiceId)
    {
        for (var i = 0; ; i++)
        {
            await using var cmd = ui.Ledger.Database.CreateCommand("select entry_id from ledger.journal_entries where kind = 'invoice' and cause->>'invoice' = $1");
            cmd.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
            if (await cmd.ExecuteScalarAsync() is long id) return id;
            if (i == 50) throw new InvalidOperationException($"The journal never posted invoice {invoiceId}");
            await Seed.SendAsync(ui.Ledger.Client, HttpMethod.Post, "/v1/journal/post", "");
            await Task.Delay(200);
        }
    }

    private static async Task SearchAsync(IPage page, string text)
    {
        await page.GotoAsync("/ui");
        await page.GetByLabel("Event, customer, invoice or journal entry").FillAsync(text);
        await page.GetByLabel("Event, customer, invoice or journal entry").PressAsync("Enter");
        await page.WaitForURLAsync(url => url.Contains("q="));
    }

    private async Task<string> IssueKeyAsync(string json)
    {
        var body = await Seed.SendAsync(ui.Ledger.Client, HttpMethod.Post, "/v1/api-keys", json);
        var key = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("key").GetString()!;
        // The key ring knows the new key at once on this node.
        Assert.NotNull(ui.Ledger.Factory.Services.GetService(typeof(ApiKeyRing)));
        return key;
    }

    private async Task<(long Sequence, string Data)> RowAsync(string source, string id)
    {
        await using var cmd = ui.Ledger.Database.CreateCommand("select seq_id, data::text from ledger.mt_events where id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = EventKey.ToEventId(source, id) });
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt64(0), reader.GetString(1));
    }

    /// <summary>As a superuser with the log's guards off (session_replication_role = replica), committed: the page must see it.</summary>
    private async Task TamperAsync(string sql, long sequence, string? data = null)
    {
        await using var conn = await ui.Ledger.Database.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var replica = new NpgsqlCommand("set local session_replication_role = replica", conn, tx)) await replica.ExecuteNonQueryAsync();
        await using (var tamper = new NpgsqlCommand(sql, conn, tx))
        {
            tamper.Parameters.Add(new NpgsqlParameter { Value = sequence });
            if (data is not null) tamper.Parameters.Add(new NpgsqlParameter { Value = data });
            Assert.Equal(1, await tamper.ExecuteNonQueryAsync());
        }
        await tx.CommitAsync();
    }
}
