using System.Net;
using Ledger.Invoices;
using Ledger.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Wolverine;
using static Ledger.Tests.Invoices.InvoiceScenario;

namespace Ledger.Tests.Invoices;

[Collection(LedgerCollection.Name)]
public sealed class when_an_invoice_bills_contract_terms_and_credits(LedgerFixture ledger)
{
    [Fact]
    public async Task a_mid_period_upgrade_bills_a_prorated_fee_line_per_segment_and_the_minimum_commitment_true_up()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        var contract = $"upgrade-{s.Customer}";
        await s.StartContractAsync($$$"""
            {"id": "{{{contract}}}", "starts_at": "2026-03-01T00:00:00Z", "period": {"kind": "month", "anchor_day": 1},
             "fee": {"amount": "100.00", "timing": "arrears"}, "minimum_commitment": {"amount": "50.00"}}
            """);
        var amended = await ledger.Client.PostAsync($"/v1/contracts/{contract}/amendments", new StringContent(
            """{"effective_at": "2026-03-16T00:00:00Z", "fee": {"amount": "200.00", "timing": "arrears"}}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, amended.StatusCode);
        await s.UseAsync("2026-03-05T00:00:00Z", 10_000_000);   // 10.00

        var march = await s.IssuedAsync("2026-03-01");
        // 100 × 15/31 = 48.387…, 200 × 16/31 = 103.225…; the commitment of 50.00 less 10.00 of usage.
        Assert.Equal([("fee", null, "48.39"), ("fee", null, "103.23"), ("usage", "10000000", "10.00"), ("commitment_true_up", null, "40.00")], Lines(march));
        Assert.Equal("201.62", S(march, "total"));
        Assert.Equal("2026-03-16T00:00:00Z", march.GetProperty("lines")[1].GetProperty("segment").GetProperty("from").GetString());
    }

    [Fact]
    public async Task credits_pay_what_they_cover_and_the_rest_is_billed()
    {
        var c = new Credits.CreditScenario(ledger);
        await c.StartAsync();
        await c.GrantAsync("prepaid", 3m);
        await c.Rating.SendAsync(Rating.RatingScenario.At("2026-09-10T00:00:00Z"), new { model = "m", input_tokens = 5 });   // 5.00 at 1.00 per token
        var response = await ledger.Client.PostAsync($"/v1/customers/{c.Customer}/periods/2026-09-01/close", null);
        var september = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal([("usage", "5", "5.00"), ("credits", null, "-3.00")], Lines(september));
        Assert.Equal(("5.00", "-3.00", "2.00"), (S(september, "subtotal"), S(september, "credits_applied"), S(september, "total")));
    }

    [Fact]
    public async Task a_scheduled_close_invoices_every_period_past_its_grace_window_and_schedules_the_open_one()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-04-10T00:00:00Z", 1_000_000);
        var bus = ledger.Factory.Services.GetRequiredService<IMessageBus>();
        await bus.InvokeAsync(new SchedulePeriodClose(s.Customer, Instant.FromUtc(2026, 4, 10, 0, 0)));

        var deadline = DateTime.UtcNow.AddSeconds(20);
        List<string> periods;
        while (true)
        {
            var list = await (await ledger.Client.GetAsync($"/v1/customers/{s.Customer}/invoices")).JsonAsync();
            periods = list.GetProperty("invoices").EnumerateArray().Select(i => i.GetProperty("period").GetProperty("from").GetString()!).ToList();
            if (periods.Count > 0 || DateTime.UtcNow > deadline) break;
            await Task.Delay(100);
        }
        // April had usage; the empty months after it close without an invoice.
        Assert.Equal(["2026-04-01T00:00:00Z"], periods);
        var open = BillingPeriodStart(ledger.Clock.GetCurrentInstant());
        await using var marker = ledger.Database.CreateCommand("select count(*) from ledger.mt_doc_periodclosescheduled where id = $1");
        marker.Parameters.Add(new() { Value = PeriodCloseScheduled.IdOf(s.Customer, open) });
        deadline = DateTime.UtcNow.AddSeconds(10);
        while ((long)(await marker.ExecuteScalarAsync())! == 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(1L, (long)(await marker.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task an_issued_invoice_is_listed_and_rendered_as_printable_html()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-06-10T00:00:00Z", 1_500_000);
        var invoice = await s.IssuedAsync("2026-06-01");
        var list = await (await ledger.Client.GetAsync($"/v1/customers/{s.Customer}/invoices")).JsonAsync();
        var listed = Assert.Single(list.GetProperty("invoices").EnumerateArray());
        Assert.Equal((S(invoice, "id"), S(invoice, "number"), "1.50"), (S(listed, "id"), S(listed, "number"), S(listed, "total")));

        var page = await ledger.Client.GetAsync($"/v1/invoices/{S(invoice, "id")}.html");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"Invoice {S(invoice, "number")}", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await ledger.Client.GetAsync("/v1/invoices/inv-999999")).StatusCode);
    }

    private static Instant BillingPeriodStart(Instant now)
    {
        var date = now.InUtc().Date;
        return Instant.FromUtc(date.Year, date.Month, 1, 0, 0);
    }
}
