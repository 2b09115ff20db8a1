using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Credits;
using Ledger.Kernel;
using Ledger.Tests.Rating;
using Ledger.Tests.Support;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Ledger.Tests.Credits;

/// <summary>
/// A rating scenario with prepaid credits: a customer on a one-dollar-per-token price book (so amounts
/// are easy to read), grants, and reads of the balance and of how each usage event was paid.
/// </summary>
public sealed class CreditScenario(LedgerFixture ledger)
{
    public RatingScenario Rating { get; } = new(ledger);
    public string Customer => Rating.Customer;

    /// <summary>Creates the customer (with <paramref name="credits"/> terms if given) on a book charging $1 per input token of model "m".</summary>
    public async Task StartAsync(string? credits = null)
    {
        await Rating.PublishAsync(RatingScenario.FlatBook("2026-01-01T00:00:00Z", "1.00", per: "1"));
        await Rating.PutCustomerAsync(credits is null
            ? $$"""{"price_book":"{{Rating.Book}}"}"""
            : $$"""{"price_book":"{{Rating.Book}}","credits":{{credits}}}""");
    }

    /// <summary>Grants <paramref name="amount"/> USD through the API (in force from now unless <paramref name="effectiveAt"/> says otherwise).</summary>
    public async Task GrantAsync(string reference, decimal amount, int priority = 100, Instant? expiresAt = null, Instant? effectiveAt = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["amount"] = amount.ToString(System.Globalization.CultureInfo.InvariantCulture), ["kind"] = "purchased", ["priority"] = priority,
            ["reference"] = reference, ["effective_at"] = effectiveAt?.ToString(), ["expires_at"] = expiresAt?.ToString()
        };
        var response = await ledger.Client.PostAsJsonAsync($"/v1/customers/{Customer}/credits", body);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"granting answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public async Task VoidAsync(string reference)
    {
        var response = await ledger.Client.PostAsJsonAsync($"/v1/customers/{Customer}/credits/{reference}/void", new { reason = "refund" });
        Assert.True(response.IsSuccessStatusCode, $"voiding answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public async Task AppendAsync(string stream, object @event)
    {
        await using var session = ledger.Factory.Services.GetRequiredService<IDocumentStore>().LightweightSession();
        session.Events.Append(stream, @event);
        await session.SaveChangesAsync();
    }

    /// <summary>Sends usage of <paramref name="tokens"/> dollars now (by the ledger's clock).</summary>
    public Task<string> UseAsync(int tokens) => Rating.SendAsync(CloudEvents.Now(), new { model = "m", input_tokens = tokens });

    /// <summary>The balance once rating has reached every event stored so far.</summary>
    public async Task<JsonElement> BalanceAsync()
    {
        var position = await Rating.PositionAsync();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var response = await ledger.Client.GetAsync($"/v1/customers/{Customer}/balance");
            response.EnsureSuccessStatusCode();
            var balance = await response.JsonAsync();
            if (balance.GetProperty("as_of").GetInt64() >= position) return balance;
            Assert.True(DateTime.UtcNow < deadline, $"the balance of {Customer} never reached position {position}; last: {balance}");
            await Task.Delay(50);
        }
    }

    /// <summary>How each of the customer's usage events was paid, in ledger order: (event id, amount, uncovered, grant → net drawn).</summary>
    public async Task<List<(string Id, decimal Amount, decimal Uncovered, Dictionary<string, decimal> Paid)>> PaymentsAsync()
    {
        await BalanceAsync();
        await using var cmd = ledger.Database.CreateCommand(
            "select event_id, coalesce(amount, 0), uncovered, drawdowns from ledger.rated_usage where customer_id = $1 order by seq");
        cmd.Parameters.Add(new() { Value = Customer });
        var rows = new List<(string, decimal, decimal, Dictionary<string, decimal>)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows.Add((reader.GetString(0), reader.GetDecimal(1), reader.GetDecimal(2),
                UsageCredit.ReadDrawdowns(reader.IsDBNull(3) ? null : reader.GetString(3))
                    .GroupBy(d => d.Grant).ToDictionary(g => g.Key, g => g.Sum(d => d.Amount))));
        return rows;
    }

    /// <summary>The facts recorded for the customer of the given event type (snake_case name), in ledger order.</summary>
    public async Task<List<JsonElement>> FactsAsync(string type)
    {
        await BalanceAsync();
        await using var cmd = ledger.Database.CreateCommand("select data from ledger.mt_events where type = $1 and data->>'customerId' = $2 order by seq_id");
        cmd.Parameters.Add(new() { Value = type });
        cmd.Parameters.Add(new() { Value = Customer });
        var facts = new List<JsonElement>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) facts.Add(JsonDocument.Parse(reader.GetString(0)).RootElement.Clone());
        return facts;
    }

    public static Dictionary<string, string> GrantsRemaining(JsonElement balance) =>
        balance.GetProperty("grants").EnumerateArray().ToDictionary(g => g.GetProperty("id").GetString()!, g => g.GetProperty("remaining").GetString()!);
}
