using System.Net;
using System.Text;
using System.Text.Json;
using Ledger.Credits;
using Ledger.Tests.Credits;
using Ledger.Tests.Rating;
using Ledger.Tests.Support;
using static Ledger.Tests.Rating.RatingScenario;

namespace Ledger.Tests.Contracts;

/// <summary>
/// Rating under a contract: a customer (UTC) on a book charging $1 per input token of model "m", one contract of
/// its own, usage at chosen times, and reads of how each usage event was priced and paid (allowance, credits, uncovered).
/// </summary>
public sealed class ContractScenario(LedgerFixture ledger, CreditScenario? credits = null)
{
    public CreditScenario Credits { get; } = credits ?? new(ledger);
    public RatingScenario Rating => Credits.Rating;
    public string Customer => Credits.Customer;
    public string ContractId { get; } = $"ctr-{Guid.NewGuid():N}";

    /// <summary>How one usage event was priced and paid: net drawn per allowance and per credit grant.</summary>
    public sealed record Payment(string Id, decimal Amount, decimal Uncovered, string? Contract, int? Amendment,
        Dictionary<string, decimal> Allowances, Dictionary<string, decimal> Grants)
    {
        public decimal Allowance => Allowances.Values.Sum();
        public decimal Credits => Grants.Values.Sum();
    }

    public Task StartAsync(string? credits = null) => Credits.StartAsync(credits);

    /// <summary>The grant id of the allowance of the segment starting at <paramref name="segmentStart"/>.</summary>
    public string Allowance(string segmentStart) => $"allowance:{ContractId}:{segmentStart}";

    /// <summary>Starts the contract: monthly on the 1st unless <paramref name="terms"/> (a JSON fragment of the request) says otherwise.</summary>
    public async Task StartContractAsync(string startsAt, string terms = "")
    {
        var body = $$"""{"id": "{{ContractId}}", "starts_at": "{{startsAt}}", "period": {"kind": "month", "anchor_day": 1}{{(terms.Length > 0 ? ", " + terms : "")}} }""";
        var response = await PostAsync($"/v1/customers/{Customer}/contracts", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"starting the contract answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public async Task AmendAsync(string effectiveAt, string terms)
    {
        var response = await TryAmendAsync(effectiveAt, terms);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"amending answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public Task<HttpResponseMessage> TryAmendAsync(string effectiveAt, string terms) =>
        PostAsync($"/v1/contracts/{ContractId}/amendments", $$"""{"effective_at": "{{effectiveAt}}", {{terms}} }""");

    public Task<HttpResponseMessage> TryEndAsync(string endsAt) => PostAsync($"/v1/contracts/{ContractId}/end", $$"""{"ends_at": "{{endsAt}}"}""");

    public async Task EndAsync(string endsAt)
    {
        var response = await TryEndAsync(endsAt);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"ending answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Usage of <paramref name="tokens"/> dollars at the given time (recorded now); returns its event id.</summary>
    public Task<string> UseAtAsync(string time, int tokens) => Rating.SendAsync(At(time), new { model = "m", input_tokens = tokens });

    /// <summary>How each of the customer's usage events was priced and paid, in ledger order, once rating has caught up.</summary>
    public async Task<List<Payment>> PaymentsAsync()
    {
        await Credits.BalanceAsync();
        await using var cmd = ledger.Database.CreateCommand("""
            select event_id, coalesce(amount, 0), uncovered, contract_id, contract_amendment, drawdowns from ledger.rated_usage
            where customer_id = $1 order by seq
            """);
        cmd.Parameters.Add(new() { Value = Customer });
        var rows = new List<Payment>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var net = UsageCredit.ReadDrawdowns(reader.IsDBNull(5) ? null : reader.GetString(5))
                .GroupBy(d => d.Grant).ToDictionary(g => g.Key, g => g.Sum(d => d.Amount));
            rows.Add(new Payment(reader.GetString(0), reader.GetDecimal(1), reader.GetDecimal(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4),
                net.Where(n => n.Key.StartsWith("allowance:") && n.Value != 0).ToDictionary(),
                net.Where(n => !n.Key.StartsWith("allowance:") && n.Value != 0).ToDictionary()));
        }
        return rows;
    }

    /// <summary>Each usage event's status, amount and free input tokens (the line's <c>included</c>), in ledger order, once rating has caught up.</summary>
    public async Task<List<(string Status, decimal Amount, decimal Free)>> InputTokensAsync()
    {
        await Credits.BalanceAsync();
        await using var cmd = ledger.Database.CreateCommand("""
            select status, coalesce(amount, 0), coalesce((select (l->>'included')::numeric from jsonb_array_elements(lines) l where l->>'meter' = 'input_tokens'), 0)
            from ledger.rated_usage where customer_id = $1 order by seq
            """);
        cmd.Parameters.Add(new() { Value = Customer });
        var rows = new List<(string, decimal, decimal)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetDecimal(1), reader.GetDecimal(2)));
        return rows;
    }

    /// <summary>The stored counts of the contract's included units: (segment start, meter, model) → (included, used).</summary>
    public async Task<Dictionary<(string, string, string), (decimal Included, decimal Used)>> IncludedUnitsAsync()
    {
        await Credits.BalanceAsync();
        await using var cmd = ledger.Database.CreateCommand("""
            select segment_start, meter, model, included, used from ledger.contract_included_units where customer_id = $1 and contract_id = $2
            """);
        cmd.Parameters.Add(new() { Value = Customer });
        cmd.Parameters.Add(new() { Value = ContractId });
        var counts = new Dictionary<(string, string, string), (decimal, decimal)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            counts[(NodaTime.Instant.FromDateTimeUtc(reader.GetDateTime(0)).ToString(), reader.GetString(1), reader.GetString(2))] = (reader.GetDecimal(3), reader.GetDecimal(4));
        return counts;
    }

    /// <summary>The stored allowance draws of the contract: grant id → (allowance, drawn).</summary>
    public async Task<Dictionary<string, (decimal Allowance, decimal Drawn)>> AllowancesAsync()
    {
        await Credits.BalanceAsync();
        await using var cmd = ledger.Database.CreateCommand("""
            select segment_start, allowance, drawn from ledger.contract_allowances where customer_id = $1 and contract_id = $2
            """);
        cmd.Parameters.Add(new() { Value = Customer });
        cmd.Parameters.Add(new() { Value = ContractId });
        var draws = new Dictionary<string, (decimal, decimal)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            draws[Allowance(NodaTime.Instant.FromDateTimeUtc(reader.GetDateTime(0)).ToString())] = (reader.GetDecimal(1), reader.GetDecimal(2));
        return draws;
    }

    private Task<HttpResponseMessage> PostAsync(string path, string json) =>
        ledger.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public static decimal Dollars(JsonElement balance, string field) => decimal.Parse(balance.GetProperty(field).GetString()!, System.Globalization.CultureInfo.InvariantCulture);
}
