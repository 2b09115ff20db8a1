using System.Net;
using System.Text.Json;
using Ledger.Tests.Support;
using static Ledger.Tests.Invoices.InvoiceScenario;

namespace Ledger.Tests.Invoices;

[Collection(LedgerCollection.Name)]
public sealed class when_a_billing_period_is_closed(LedgerFixture ledger)
{
    [Fact]
    public async Task closing_issues_an_immutable_numbered_invoice_and_closing_again_answers_the_same_one()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-03-10T12:00:00Z", 2_000_000);   // 2.00
        await s.UseAsync("2026-03-31T23:59:59Z", 500_000);     // 0.50
        await s.UseAsync("2026-04-01T00:00:00Z", 7_000_000);   // April: not on March's invoice

        var invoice = await s.IssuedAsync("2026-03-01");
        Assert.Equal(("issued", "2.50", "2.50"), (S(invoice, "status"), S(invoice, "subtotal"), S(invoice, "total")));
        Assert.Equal([("usage", "2500000", "2.50")], Lines(invoice));
        Assert.Equal("2026-03-01T00:00:00Z", invoice.GetProperty("period").GetProperty("from").GetString());
        Assert.Matches("^INV-[0-9]{6}$", S(invoice, "number"));

        var again = await s.IssuedAsync("2026-03-01", HttpStatusCode.OK);
        Assert.Equal(S(invoice, "number"), S(again, "number"));
        Assert.Equal(invoice.GetRawText(), (await s.InvoiceAsync(S(invoice, "id"))).GetRawText());

        // The billing record is append-only even for the database owner's application role.
        await using var update = ledger.Database.CreateCommand($"update ledger.invoices set period_to = now() where invoice_id = '{S(invoice, "id")}'");
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => update.ExecuteNonQueryAsync());
        Assert.Contains("immutable", refused.MessageText);
    }

    [Fact]
    public async Task invoice_numbers_are_gapless_when_periods_close_at_the_same_moment()
    {
        var scenarios = Enumerable.Range(0, 6).Select(_ => new InvoiceScenario(ledger)).ToList();
        foreach (var s in scenarios)
        {
            await s.StartAsync();
            await s.UseAsync("2026-02-10T00:00:00Z", 1_000_000);
        }
        var invoices = await Task.WhenAll(scenarios.Select(s => s.IssuedAsync("2026-02-01")));
        var numbers = invoices.Select(i => int.Parse(S(i, "number")[4..])).Order().ToList();
        Assert.Equal(Enumerable.Range(numbers[0], numbers.Count), numbers);

        await using var all = ledger.Database.CreateCommand("select seq from ledger.invoices order by seq");
        var seqs = new List<long>();
        await using (var reader = await all.ExecuteReaderAsync())
            while (await reader.ReadAsync()) seqs.Add(reader.GetInt64(0));
        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
    }

    [Fact]
    public async Task a_period_that_has_not_ended_cannot_be_closed()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        var open = ledger.Clock.GetCurrentInstant().InUtc().Date;
        var response = await s.CloseAsync($"{open.Year:D4}-{open.Month:D2}-01");
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("runs until", (await response.JsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task a_period_no_period_starts_on_is_not_found_with_a_hint()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        var response = await s.CloseAsync("2026-03-05");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("local date it starts on", (await response.JsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task periods_are_invoiced_in_order()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-03-10T00:00:00Z", 1_000_000);
        await s.UseAsync("2026-04-10T00:00:00Z", 1_000_000);
        var response = await s.CloseAsync("2026-04-01");
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("/periods/2026-03-01/close", (await response.JsonAsync()).GetProperty("detail").GetString());
        await s.IssuedAsync("2026-03-01");
        await s.IssuedAsync("2026-04-01");
    }

    [Fact]
    public async Task late_usage_is_an_adjustment_on_the_next_invoice_referencing_the_issued_one_which_never_changes()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-05-10T00:00:00Z", 1_000_000);
        var may = await s.IssuedAsync("2026-05-01");
        await s.UseAsync("2026-05-20T00:00:00Z", 3_000_000);    // late: May is invoiced
        await s.UseAsync("2026-06-02T00:00:00Z", 2_000_000);

        var june = await s.IssuedAsync("2026-06-01");
        Assert.Equal([("usage", "2000000", "2.00"), ("adjustment", "3000000", "3.00")], Lines(june));
        var adjusts = june.GetProperty("lines")[1].GetProperty("adjusts");
        Assert.Equal((S(may, "id"), S(may, "number"), "2026-05-01T00:00:00Z"),
            (S(adjusts, "invoice"), S(adjusts, "number"), adjusts.GetProperty("period").GetProperty("from").GetString()));
        Assert.Equal("5.00", S(june, "total"));
        Assert.Equal(may.GetRawText(), (await s.InvoiceAsync(S(may, "id"))).GetRawText());
    }

    [Fact]
    public async Task usage_rerated_after_its_invoice_is_billed_as_the_difference()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-07-10T00:00:00Z", 4_000_000);    // 4.00 at 1.00
        var july = await s.IssuedAsync("2026-07-01");
        Assert.Equal("4.00", S(july, "total"));
        // A backdated price for July: 0.75 per million. The July event is rated again at 3.00.
        await s.Rating.PublishAsync(Rating.RatingScenario.FlatBook("2026-07-01T00:00:00Z", "0.75", backdate: true));
        await s.UseAsync("2026-08-03T00:00:00Z", 1_000_000);    // 0.75

        var august = await s.IssuedAsync("2026-08-01");
        Assert.Equal([("usage", "1000000", "0.75"), ("adjustment", "0", "-1.00")], Lines(august));
        Assert.Equal("-0.25", S(august, "total"));
    }

    [Fact]
    public async Task every_usage_event_is_billed_on_exactly_one_invoice_and_the_invoices_add_up_to_the_rated_usage()
    {
        var s = new InvoiceScenario(ledger);
        await s.StartAsync();
        await s.UseAsync("2026-01-05T00:00:00Z", 1_111_111);
        await s.UseAsync("2026-01-31T23:00:00Z", 2_222_222);
        await s.IssuedAsync("2026-01-01");
        await s.UseAsync("2026-01-15T00:00:00Z", 3_333_333);     // late
        await s.UseAsync("2026-02-15T00:00:00Z", 4_444_444);
        await s.IssuedAsync("2026-02-01");

        await using var cmd = ledger.Database.CreateCommand("""
            select (select count(*) from ledger.rated_usage where customer_id = $1),
                   (select count(distinct seq) from ledger.billed_usage where customer_id = $1),
                   (select count(*) from ledger.billed_usage where customer_id = $1),
                   (select sum(amount) from ledger.rated_usage where customer_id = $1)
            """);
        cmd.Parameters.Add(new() { Value = s.Customer });
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal((4L, 4L, 4L), (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)));
        var rated = reader.GetDecimal(3);
        var list = await (await ledger.Client.GetAsync($"/v1/customers/{s.Customer}/invoices")).JsonAsync();
        var unrounded = 0m;
        foreach (var summary in list.GetProperty("invoices").EnumerateArray())
            unrounded += decimal.Parse(S(await s.InvoiceAsync(S(summary, "id")), "unrounded_total"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(rated, unrounded);
    }
}
