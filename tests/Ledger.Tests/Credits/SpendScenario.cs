using System.Net;
using System.Text;
using System.Text.Json;
using Ledger.Tests.Support;

namespace Ledger.Tests.Credits;

/// <summary>A credit scenario driven through POST /v1/authorize and /v1/holds.</summary>
public sealed class SpendScenario(LedgerFixture ledger)
{
    public CreditScenario Credits { get; } = new(ledger);
    public string Customer => Credits.Customer;

    /// <summary>Creates the customer on the $1-per-token book; <paramref name="block"/>: under the block policy.</summary>
    public async Task StartAsync(bool block)
    {
        await Credits.StartAsync(block ? """{"policy":"block"}""" : null);
    }

    public Task<HttpResponseMessage> PostAsync(string path, string json) =>
        ledger.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> AuthorizeAsync(string cost) =>
        PostAsync("/v1/authorize", $$"""{"customer":"{{Customer}}","estimated_cost":"{{cost}}"}""");

    /// <summary>A spend check once the view has reached every event stored so far.</summary>
    public async Task<JsonElement> AuthorizeCaughtUpAsync(string cost)
    {
        var position = await Credits.Rating.PositionAsync();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var response = await AuthorizeAsync(cost);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"authorize answered {(int)response.StatusCode}: {body}");
            var answer = JsonDocument.Parse(body).RootElement.Clone();
            if (answer.GetProperty("as_of").GetInt64() >= position) return answer;
            Assert.True(DateTime.UtcNow < deadline, $"the spend view of {Customer} never reached position {position}; last: {body}");
            await Task.Delay(50);
        }
    }

    public Task<HttpResponseMessage> HoldAsync(string amount, string? timeout = null, string? id = null) =>
        PostAsync("/v1/holds", JsonSerializer.Serialize(new Dictionary<string, string?> { ["customer"] = Customer, ["amount"] = amount, ["timeout"] = timeout, ["id"] = id }
            .Where(p => p.Value is not null).ToDictionary()));

    public async Task<JsonElement> PlacedAsync(string amount, string? timeout = null)
    {
        var response = await HoldAsync(amount, timeout);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"placing a hold answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<JsonElement> HoldStateAsync(string id)
    {
        var response = await ledger.Client.GetAsync($"/v1/holds/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    public static (bool, string, string, string) Answer(JsonElement a) =>
        (a.GetProperty("allowed").GetBoolean(), a.GetProperty("reason").GetString()!, a.GetProperty("policy").GetString()!, a.GetProperty("available").GetString()!);
}
