using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Tests.Support;
using NodaTime;

namespace Ledger.UiTests;

/// <summary>
/// What the pages show: a customer in Europe/Berlin with a $100 monthly budget and $50 of credit, usage last month (closed
/// into an issued invoice) and this month ($50: the 50% budget alert), the journal posted and a checkpoint signed over it all.
/// A second customer without credit (<see cref="PaidCustomer"/>) has last month's usage on an invoice with a total to pay, so the
/// invoice has a journal entry of its own to trace through its lines.
/// </summary>
public sealed record Seed(string Customer, string Source, string InvoiceId, string InvoiceNumber, string LastMonthEvent, string ThisMonthEvent,
    string PaidCustomer, string PaidInvoiceId, string PaidEvent)
{
    public static async Task<Seed> PlantAsync(LedgerFixture ledger)
    {
        var client = ledger.Client;
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (book, customer, source) = ($"ui-book-{suffix}", $"ui-customer-{suffix}", $"//ui-tests/{suffix}");
        await SendAsync(client, HttpMethod.Put, $"/v1/price-books/{book}", RatingProbes.Gpt4oBook());
        await SendAsync(client, HttpMethod.Put, $"/v1/customers/{customer}", $$$"""
            {"price_book":"{{{book}}}","time_zone":"Europe/Berlin","budget":{"amount":"100.00","period":"month","alert_thresholds":[0.5,0.8,1.0]}}
            """);
        await SendAsync(client, HttpMethod.Post, $"/v1/customers/{customer}/credits",
            """{"amount":"50.00","kind":"purchased","priority":10,"reference":"order-ui-1"}""");

        var now = ledger.Clock.GetCurrentInstant().InUtc();
        var lastMonth = new LocalDate(now.Year, now.Month, 1).PlusMonths(-1);
        var lastMonthTime = lastMonth.PlusDays(14).AtMidnight().PlusHours(12).InUtc().ToDateTimeOffset();
        var paying = $"ui-paying-{suffix}";
        await SendAsync(client, HttpMethod.Put, $"/v1/customers/{paying}", $$$"""{"price_book":"{{{book}}}","time_zone":"America/New_York"}""");
        await IngestAsync(client, source, "paid-1", paying, lastMonthTime, 3_000_000, 200_000);
        await RatedAsync(client, source, "paid-1");
        var paidInvoice = JsonDocument.Parse(await SendAsync(client, HttpMethod.Post,
            $"/v1/customers/{paying}/periods/{lastMonth:yyyy-MM-dd}/close", "")).RootElement.GetProperty("id").GetString()!;
        await IngestAsync(client, source, "last-1", customer, lastMonthTime, 2_000_000, 100_000);
        await IngestAsync(client, source, "now-1", customer, ledger.Clock.GetCurrentInstant().ToDateTimeOffset().AddMinutes(-5), 20_000_000, 0);
        await RatedAsync(client, source, "last-1");
        await RatedAsync(client, source, "now-1");

        var invoice = JsonDocument.Parse(await SendAsync(client, HttpMethod.Post,
            $"/v1/customers/{customer}/periods/{lastMonth:yyyy-MM-dd}/close", "")).RootElement;
        var (invoiceId, number) = (invoice.GetProperty("id").GetString()!, invoice.GetProperty("number").GetString()!);
        await SendAsync(client, HttpMethod.Post, "/v1/journal/post", "");
        // A checkpoint over the invoice's events: the chainer trails ingest, so sign again until one covers them.
        for (var i = 0; ; i++)
        {
            await SendAsync(client, HttpMethod.Post, "/v1/audit/checkpoints", "");
            if ((await client.GetAsync($"/v1/invoices/{invoiceId}/proof")).StatusCode == HttpStatusCode.OK) break;
            if (i == 50) throw new InvalidOperationException("No checkpoint came to cover the seeded invoice");
            await Task.Delay(200);
        }
        return new Seed(customer, source, invoiceId, number, "last-1", "now-1", paying, paidInvoice, "paid-1");
    }

    public static Task IngestAsync(HttpClient client, string source, string id, string customer, DateTimeOffset time, int input, int output) =>
        SendAsync(client, HttpMethod.Post, "/v1/events", RatingProbes.Event(source, id, customer, time,
            new { model = "gpt-4o", input_tokens = input, output_tokens = output, cached_input_tokens = 0 }).ToJsonString(), CloudEvents.Single);

    /// <summary>Waits until rating has priced the event (the async daemon, well under a second behind).</summary>
    public static async Task RatedAsync(HttpClient client, string source, string id)
    {
        for (var i = 0; i < 150; i++)
        {
            var body = await (await LedgerProbes.GetEventAsync(client, source, id)).Content.ReadAsStringAsync();
            if (JsonNode.Parse(body)?["rating"]?["status"]?.GetValue<string>() == "rated") return;
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"({source}, {id}) was never rated");
    }

    public static async Task<string> SendAsync(HttpClient client, HttpMethod method, string path, string body, string type = "application/json")
    {
        var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(type);
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {text}");
        return text;
    }
}
