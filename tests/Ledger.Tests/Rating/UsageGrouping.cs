using System.Net;
using System.Text.Json;
using Ledger.Tests.Support;
using NodaTime;
using static Ledger.Tests.Rating.RatingScenario;
using static Ledger.Tests.Support.LedgerProbes;
using static Ledger.Tests.Support.RatingProbes;

namespace Ledger.Tests.Rating;

[Collection(LedgerCollection.Name)]
public sealed class when_usage_is_read_in_groups(LedgerFixture ledger)
{
    private static readonly (DateTimeOffset From, DateTimeOffset To) November = (At("2026-11-01T00:00:00Z"), At("2026-12-01T00:00:00Z"));

    private static object Acceptance(string mode = "realtime", string model = "gpt-4o") =>
        new { model, mode, input_tokens = 1_200_000, cached_input_tokens = 400_000, output_tokens = 300_000 };

    private async Task<RatingScenario> Gpt4oCustomerAsync()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(Gpt4oBook());
        await s.PutCustomerAsync();
        return s;
    }

    private static List<JsonElement> Groups(JsonElement usage) => usage.GetProperty("groups").EnumerateArray().ToList();

    private static decimal Sum(IEnumerable<JsonElement> groups) => groups.Sum(g => decimal.Parse(g.GetProperty("amount").GetString()!, System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task by_meter_each_meter_has_its_quantity_and_amount_and_the_amounts_add_up_to_the_total()
    {
        var s = await Gpt4oCustomerAsync();
        await s.SendAsync(At("2026-11-10T10:00:00Z"), Acceptance());

        var usage = await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "5.50", groupBy: "meter");

        var meters = Groups(usage).ToDictionary(g => g.GetProperty("meter").GetString()!,
            g => (g.GetProperty("quantity").GetDecimal(), g.GetProperty("amount").GetString()));
        Assert.Equal(3, meters.Count);
        Assert.Equal((1_200_000m, "3.00"), meters["input_tokens"]);
        Assert.Equal((400_000m, "-0.50"), meters["cached_input_tokens"]); // OpenAI subset: cached tokens are input tokens repriced at 1.25 instead of 2.50
        Assert.Equal((300_000m, "3.00"), meters["output_tokens"]);
        Assert.Equal(5.50m, Sum(Groups(usage)));
    }

    [Fact]
    public async Task by_model_and_mode_each_pair_has_its_event_count_and_amount()
    {
        var s = await Gpt4oCustomerAsync();
        await s.SendAsync(At("2026-11-10T10:00:00Z"), Acceptance("realtime"));
        await s.SendAsync(At("2026-11-10T10:00:01Z"), Acceptance("batch"));
        await s.SendAsync(At("2026-11-10T10:00:02Z"), Acceptance("realtime"));

        var usage = await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "14.00", groupBy: "model,mode");

        var groups = Groups(usage).Select(g => (g.GetProperty("model").GetString(), g.GetProperty("mode").GetString(),
            g.GetProperty("events").GetInt64(), g.GetProperty("amount").GetString())).ToList();
        Assert.Equal([("gpt-4o", "batch", 1L, "3.00"), ("gpt-4o", "realtime", 2L, "11.00")], groups);
        Assert.Equal(14.00m, Sum(Groups(usage)));
    }

    [Fact]
    public async Task without_group_by_there_are_no_groups_only_the_total()
    {
        var s = await Gpt4oCustomerAsync();
        await s.SendAsync(At("2026-11-10T10:00:00Z"), Acceptance());

        var usage = await s.UsageWhenAsync(November.From, November.To, u => u.Total() == "5.50");

        Assert.Empty(Groups(usage));
        Assert.Equal(("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"), (usage.GetProperty("from").GetString(), usage.GetProperty("to").GetString()));
    }

    [Theory]
    [InlineData("?group_by=model;drop", "group_by")]
    [InlineData("?group_by=a,b,c,d,e,f", "group_by")]
    [InlineData("?group_by=model,amount", "group_by")] // the name of a figure of each group cannot also be a dimension
    [InlineData("?from=yesterday", "from")]
    [InlineData("?from=2026-11-01", "from")]
    [InlineData("?to=2026-13-01T00:00:00Z", "to")]
    [InlineData("?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "from")]
    [InlineData("?from=2026-11-01T00:00:00Z&to=2026-11-01T00:00:00Z", "from")]
    public async Task an_invalid_query_is_a_400_problem_naming_the_field(string query, string field)
    {
        var s = await Gpt4oCustomerAsync();

        var problem = await AssertProblemAsync(await ledger.Client.GetAsync($"/v1/customers/{s.Customer}/usage{query}"), HttpStatusCode.BadRequest, field);

        AssertNamesField(field, problem.GetProperty("detail").GetString()!);
    }

    [Fact]
    public async Task the_usage_of_an_unknown_customer_is_a_404_problem() =>
        await AssertProblemAsync(await ledger.Client.GetAsync($"/v1/customers/{NewCustomer()}/usage"), HttpStatusCode.NotFound);

    [Fact]
    public async Task without_from_and_to_the_window_is_the_current_calendar_month_in_the_customers_time_zone()
    {
        var s = new RatingScenario(ledger);
        await s.PublishAsync(Gpt4oBook());
        await s.PutCustomerAsync($$"""{"price_book":"{{s.Book}}","time_zone":"America/New_York"}""");
        // around the end of October in New York (UTC-4 until 1 November 2026, 02:00)
        await s.SendAsync(At("2026-10-01T03:59:59Z"), Acceptance()); // 30 September, 23:59:59 in New York
        await s.SendAsync(At("2026-11-01T03:00:00Z"), Acceptance("batch")); // 31 October, 23:00 in New York
        await s.SendAsync(At("2026-11-01T05:00:00Z"), Acceptance()); //  1 November, 01:00 in New York
        await s.UsageWhenAsync(At("2026-09-01T00:00:00Z"), November.To, u => u.Total() == "14.00");

        var original = ledger.Clock.GetCurrentInstant();
        JsonElement usage;
        try
        {
            ledger.Clock.Reset(Instant.FromUtc(2026, 11, 1, 2, 0)); // 31 October, 22:00 in New York
            usage = await (await ledger.Client.GetAsync($"/v1/customers/{s.Customer}/usage")).JsonAsync();
        }
        finally
        {
            ledger.Clock.Reset(original);
        }

        Assert.Equal(("2026-10-01T04:00:00Z", "2026-11-01T04:00:00Z"), (usage.GetProperty("from").GetString(), usage.GetProperty("to").GetString()));
        Assert.Equal("3.00", usage.Total()); // only the batch event: the UTC month would hold the first event instead
    }
}
