using System.Net;
using System.Text;
using System.Text.Json;
using Ledger.Tests.Rating;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.RatingProbes;

namespace Ledger.Tests.Invoices;

/// <summary>A customer on a flat book (model "m", input at $1.00 per million tokens) whose periods are closed over HTTP.</summary>
public sealed class InvoiceScenario(LedgerFixture ledger, string? customer = null)
{
    public RatingScenario Rating { get; } = new(ledger);
    public string Customer => customer ?? Rating.Customer;

    public async Task StartAsync(string rate = "1.00")
    {
        await Rating.PublishAsync(RatingScenario.FlatBook("2026-01-01T00:00:00Z", rate));
        await Rating.PutCustomerAsync();
    }

    /// <summary>Usage of <paramref name="tokens"/> input tokens at <paramref name="time"/> (ISO 8601).</summary>
    public Task<string> UseAsync(string time, int tokens) => Rating.SendAsync(RatingScenario.At(time), new { model = "m", input_tokens = tokens });

    public Task<HttpResponseMessage> CloseAsync(string period) =>
        ledger.Client.PostAsync($"/v1/customers/{Customer}/periods/{period}/close", new StringContent("", Encoding.UTF8, "application/json"));

    /// <summary>Closes the period, asserting an invoice is answered (201 new, 200 the existing one).</summary>
    public async Task<JsonElement> IssuedAsync(string period, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var response = await CloseAsync(period);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"closing {period} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<JsonElement> InvoiceAsync(string id) => await (await ledger.Client.GetAsync($"/v1/invoices/{id}")).JsonAsync();

    public async Task StartContractAsync(string json)
    {
        var response = await ledger.Client.PostAsync($"/v1/customers/{Customer}/contracts", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"contract answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public static List<(string Kind, string? Quantity, string Amount)> Lines(JsonElement invoice) => invoice.GetProperty("lines").EnumerateArray()
        .Select(l => (l.GetProperty("kind").GetString()!, l.TryGetProperty("quantity", out var q) ? q.GetString() : null, l.GetProperty("amount").GetString()!))
        .ToList();

    public static string S(JsonElement e, string name) => e.GetProperty(name).GetString()!;
}
