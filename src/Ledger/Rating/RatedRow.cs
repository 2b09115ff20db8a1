using System.Text.Json;
using Ledger.Pricing;
using Ledger.Usage;

namespace Ledger.Rating;

/// <summary>One row of <c>ledger.rated_usage</c>: a usage event, what rating made of it, and how credits paid it.</summary>
public sealed record RatedRow(long Sequence, UsageRecorded Usage, RatingOutcome Outcome, Credits.UsageCredit Credit)
{
    public string Status => Outcome switch
    {
        Rated => "rated",
        Unassigned => "unassigned",
        _ => "unpriced"
    };

    public decimal? Amount => (Outcome as Rated)?.Amount.Amount;

    /// <summary>Lines as stored: the rated lines, or the event's quantities at no amount while it waits for a price.</summary>
    public string LinesJson() => JsonSerializer.Serialize(
        Outcome is Rated rated ? rated.Lines : Usage.Meters.Select(m => new RatedLine(m.Key, m.Value, 0m)).ToList(), RatingJson.Options);
}

/// <summary>JSON of projection rows and of events read back from the log (Marten stores events camelCase, with NodaTime types).</summary>
public static class RatingJson
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
        NodaTime.Serialization.SystemTextJson.Extensions.ConfigureForNodaTime(options, NodaTime.DateTimeZoneProviders.Tzdb);
        return options;
    }
}
