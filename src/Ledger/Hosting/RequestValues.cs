using System.Globalization;
using System.Text.Json;
using NodaTime;
using NodaTime.Text;

namespace Ledger.Hosting;

/// <summary>The value formats requests share: instants as RFC 3339, money and rates as decimal strings.</summary>
public static class RequestValues
{
    /// <summary>An RFC 3339 instant with an offset, e.g. 2026-12-01T00:00:00Z.</summary>
    public static bool TryInstant(string? text, out Instant value)
    {
        value = default;
        if (text is null || OffsetDateTimePattern.Rfc3339.Parse(text) is not { Success: true } parsed) return false;
        value = parsed.Value.ToInstant();
        return true;
    }

    /// <summary>A JSON string holding a plain decimal ("2.50"): never a JSON number, which most clients hold as a binary float.</summary>
    public static bool TryDecimalString(JsonElement value, out decimal result)
    {
        result = 0;
        return value.ValueKind == JsonValueKind.String &&
               decimal.TryParse(value.GetString(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out result);
    }

    /// <summary>The problem for an effective_from that is missing or not an instant.</summary>
    public static IResult InvalidEffectiveFrom() =>
        Problems.BadRequest("Invalid effective_from", "effective_from must be an RFC 3339 instant, e.g. 2026-12-01T00:00:00Z.", "effective_from");
}
