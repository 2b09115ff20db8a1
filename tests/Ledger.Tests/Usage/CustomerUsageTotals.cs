using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Ledger.Tests.Support;
using Npgsql;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Usage;

[Collection(LedgerCollection.Name)]
public sealed class when_usage_is_ingested_for_a_customer(LedgerFixture ledger)
{
    [Fact]
    public async Task the_usage_totals_projection_eventually_shows_the_exact_event_count_and_meter_sums()
    {
        var source = CloudEvents.NewSource();
        var customer = NewCustomer();
        var batch = new[]
        {
            CloudEvents.Usage(source, "evt-1", customer, input: 1200, output: 350),
            CloudEvents.Usage(source, "evt-2", customer, input: 800, output: 50),
            CloudEvents.Usage(source, "evt-3", customer, input: 1, output: 0),
        };
        batch[2]["data"]!["gpu_seconds"] = 12.5m;
        await AssertReportAsync(await ledger.Client.PostBatchAsync(batch));

        var totals = await UsageTotalsOnceProjected(customer, events: 3, within: TimeSpan.FromSeconds(10));

        Assert.Equal(customer, totals.GetProperty("id").GetString());
        Assert.Equal(3, totals.GetProperty("events").GetInt64());
        var meters = totals.GetProperty("meters");
        Assert.Equal(2001m, meters.GetProperty("input_tokens").GetDecimal());
        Assert.Equal(400m, meters.GetProperty("output_tokens").GetDecimal());
        Assert.Equal(0m, meters.GetProperty("cached_input_tokens").GetDecimal());
        Assert.Equal(12.5m, meters.GetProperty("gpu_seconds").GetDecimal());
    }

    [Fact]
    public async Task the_totals_of_a_customer_whose_id_holds_a_slash_can_be_looked_up_url_encoded()
    {
        var source = CloudEvents.NewSource();
        var customer = $"org/{Guid.NewGuid():N}";
        await AssertReportAsync(await ledger.Client.PostAsync(CloudEvents.Usage(source, "evt-1", customer), CloudEvents.Single));
        await ProjectedInDatabase(customer, within: TimeSpan.FromSeconds(10));

        var response = await ledger.Client.GetAsync($"/v1/customers/{Uri.EscapeDataString(customer)}/usage-totals");

        var totals = await AssertReportAsync(response);
        Assert.Equal(customer, totals.GetProperty("id").GetString());
        Assert.Equal(1, totals.GetProperty("events").GetInt64());
    }

    /// <summary>Waits until the projection has written the customer's document, looking in the database itself.</summary>
    private async Task ProjectedInDatabase(string customer, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            await using var cmd = ledger.Database.CreateCommand("select count(*) from ledger.mt_doc_customerusage where id = $1");
            cmd.Parameters.Add(new NpgsqlParameter { Value = customer });
            if ((long)(await cmd.ExecuteScalarAsync())! > 0) return;
            await Task.Delay(100);
        } while (clock.Elapsed < within);
        Assert.Fail($"The usage totals of {customer} were not projected within {within}");
    }

    private async Task<JsonElement> UsageTotalsOnceProjected(string customer, int events, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        string last;
        do
        {
            var response = await ledger.Client.GetAsync($"/v1/customers/{Uri.EscapeDataString(customer)}/usage-totals");
            last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var totals = await response.JsonAsync();
                if (totals.GetProperty("events").GetInt64() >= events) return totals;
            }
            await Task.Delay(100);
        } while (clock.Elapsed < within);
        Assert.Fail($"The usage totals of {customer} did not reach {events} events within {within}; last answer: {last}");
        return default;
    }
}
