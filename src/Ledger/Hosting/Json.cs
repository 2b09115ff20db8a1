using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime;
using NodaTime.Serialization.SystemTextJson;

namespace Ledger.Hosting;

/// <summary>The API's JSON: snake_case names (as in the CloudEvents data), NodaTime as ISO-8601.</summary>
public static class Json
{
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.ConfigureForNodaTime(DateTimeZoneProviders.Tzdb);
    }
}
