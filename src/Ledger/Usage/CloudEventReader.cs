using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NodaTime;
using NodaTime.Text;

namespace Ledger.Usage;

/// <summary>An event the reader accepted, with its position in the request and its store id (<see cref="EventKey"/>).</summary>
public sealed record ReadEvent(int Index, UsageRecorded Usage, Guid EventId);

/// <summary>An event the reader refused: which one, and what to fix.</summary>
public sealed record EventError(int Index, string? Id, string Reason);

/// <summary>
/// Reads CloudEvents 1.0 in structured JSON mode (one event, or a batch array) into usage facts,
/// validating each event on its own so a bad event never costs its valid neighbours.
/// </summary>
/// <remarks>
/// A hand-written reader over <see cref="JsonDocument"/> rather than the CloudEvents SDK: it reads
/// meters straight into <see cref="decimal"/> (never through <see cref="double"/>) and names the exact
/// field at fault. docs/performance.md has the measured comparison.
/// Quantities (any JSON number in <c>data</c>, and any field named like a meter) must be
/// non-negative decimals; strings in <c>data</c> are dimensions (model, mode, region, ...).
/// </remarks>
public sealed class CloudEventReader(IngestOptions options)
{
    private static readonly string[] MeterSuffixes = ["_tokens", "_seconds", "_images", "_count", "_characters", "_requests"];
    private static readonly HashSet<string> KnownMeters = ["images", "requests", "gpu_seconds", "audio_seconds"];
    private static readonly HashSet<string> CoreAttributes =
        ["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data", "data_base64"];

    public (List<ReadEvent> Events, List<EventError> Errors) Read(JsonElement root, Instant now)
    {
        var events = new List<ReadEvent>();
        var errors = new List<EventError>();
        if (root.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var element in root.EnumerateArray())
                ReadOne(element, index++, now, events, errors);
        }
        else
        {
            ReadOne(root, 0, now, events, errors);
        }
        return (events, errors);
    }

    private void ReadOne(JsonElement e, int index, Instant now, List<ReadEvent> events, List<EventError> errors)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new EventError(index, null, "each event must be a JSON object (a CloudEvent in structured mode)"));
            return;
        }
        var id = OptionalString(e, "id");
        var reason = Validate(e, now, out var usage);
        if (reason is null) events.Add(new ReadEvent(index, usage!, EventKey.ToEventId(usage!.Source, usage.EventId)));
        else errors.Add(new EventError(index, id, reason));
    }

    private string? Validate(JsonElement e, Instant now, out UsageRecorded? usage)
    {
        usage = null;
        if (!TryString(e, "specversion", out var specVersion, out var problem)) return problem;
        if (specVersion != "1.0") return $"specversion must be \"1.0\" (got \"{specVersion}\")";
        if (!TryString(e, "id", out var id, out problem)) return problem;
        if (!TryString(e, "source", out var source, out problem)) return problem;
        if (!TryString(e, "type", out var type, out problem)) return problem;
        if (!options.AcceptedTypes.Contains(type))
            return $"type \"{type}\" is not accepted; send one of: {string.Join(", ", options.AcceptedTypes)}";
        if (!TryString(e, "subject", out var subject, out problem))
            return problem + " (subject is the customer id the usage belongs to)";
        if (id.Length > 256 || source.Length > 1024 || subject.Length > 256)
            return "id and subject may be at most 256 characters, source at most 1024";
        if (!TryString(e, "time", out var timeText, out problem))
            return problem + " (time is when the usage happened, RFC 3339, e.g. 2026-11-27T10:00:00Z)";
        var parsed = OffsetDateTimePattern.Rfc3339.Parse(timeText);
        if (!parsed.Success)
            return $"time \"{timeText}\" is not an RFC 3339 timestamp; send e.g. 2026-11-27T10:00:00Z";
        var usageAt = parsed.Value.ToInstant();
        if (usageAt > now + Duration.FromTimeSpan(options.MaxClockSkew))
            return $"time {timeText} is more than {options.MaxClockSkew.TotalMinutes:0} minutes in the future; check the sender's clock";
        if (e.TryGetProperty("datacontenttype", out var dct) &&
            (dct.ValueKind != JsonValueKind.String || !dct.GetString()!.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)))
            return "datacontenttype must be application/json (or left out)";
        if (e.TryGetProperty("data_base64", out _))
            return "data_base64 is not supported; send data as a JSON object";
        if (!e.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
            return "data is required and must be a JSON object of meters and dimensions, e.g. {\"model\":\"gpt-4o\",\"input_tokens\":1200}";

        var meters = new Dictionary<string, decimal>();
        var dimensions = new Dictionary<string, string>();
        foreach (var field in data.EnumerateObject())
        {
            if (meters.Count + dimensions.Count >= options.MaxDataFields)
                return $"data has more than {options.MaxDataFields} fields";
            problem = ReadDataField(field, meters, dimensions);
            if (problem is not null) return problem;
        }
        if (meters.Count == 0)
            return "data has no meter: send at least one quantity, e.g. \"input_tokens\": 1200";

        problem = ReadExtensions(e, out var extensions);
        if (problem is not null) return problem;
        var hash = ContentHash(type, subject, usageAt, meters, dimensions, extensions);
        usage = new UsageRecorded(subject, source, id, type, usageAt, now, meters, dimensions, extensions, hash);
        return null;
    }

    private static string? ReadDataField(JsonProperty field, Dictionary<string, decimal> meters, Dictionary<string, string> dimensions)
    {
        var name = field.Name;
        var value = field.Value;
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                if (!value.TryGetDecimal(out var quantity))
                    return $"data.{name} = {value.GetRawText()} overflows: quantities must fit a 28-digit decimal";
                if (quantity < 0)
                    return $"data.{name} = {value.GetRawText()} is negative: quantities must be zero or more (send corrections as their own events)";
                meters[name] = quantity;
                return null;
            case JsonValueKind.String when IsMeterName(name):
                return $"data.{name} must be a JSON number (got the string \"{Truncate(value.GetString()!)}\")";
            case JsonValueKind.String:
                dimensions[name] = value.GetString()!;
                return null;
            default:
                return IsMeterName(name)
                    ? $"data.{name} must be a JSON number (got {value.ValueKind.ToString().ToLowerInvariant()})"
                    : $"data.{name} must be a number (a meter) or a string (a dimension), not {value.ValueKind.ToString().ToLowerInvariant()}";
        }
    }

    /// <summary>
    /// CloudEvents extension attributes, each kept as its JSON value (strings re-encoded canonically),
    /// so a number stays a number when the event is given back.
    /// </summary>
    private static string? ReadExtensions(JsonElement e, out Dictionary<string, string>? extensions)
    {
        extensions = null;
        foreach (var attribute in e.EnumerateObject())
        {
            if (CoreAttributes.Contains(attribute.Name)) continue;
            var value = attribute.Value;
            if (value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                return $"extension attribute {attribute.Name} must be a string, number or boolean";
            extensions ??= new Dictionary<string, string>();
            extensions[attribute.Name] = value.ValueKind == JsonValueKind.String
                ? JsonSerializer.Serialize(value.GetString())
                : value.GetRawText();
        }
        return null;
    }

    public static bool IsMeterName(string name)
    {
        if (KnownMeters.Contains(name)) return true;
        foreach (var suffix in MeterSuffixes)
            if (name.EndsWith(suffix, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>
    /// SHA-256 over a canonical form of everything that is billed or kept: equal values hash equally
    /// whatever the JSON spelling (field order, 1200 vs 1200.0, time zone offset).
    /// </summary>
    public static string ContentHash(string type, string subject, Instant usageAt,
        IReadOnlyDictionary<string, decimal> meters, IReadOnlyDictionary<string, string> dimensions,
        IReadOnlyDictionary<string, string>? extensions)
    {
        var canonical = new Canonical();
        canonical.Text(type);
        canonical.Text(subject);
        canonical.Number(usageAt.ToUnixTimeTicks());
        foreach (var key in SortedKeys(meters))
        {
            canonical.Text("m:" + key);
            canonical.Text(Normalize(meters[key]).ToString(CultureInfo.InvariantCulture));
        }
        foreach (var key in SortedKeys(dimensions))
        {
            canonical.Text("d:" + key);
            canonical.Text(dimensions[key]);
        }
        if (extensions is not null)
            foreach (var key in SortedKeys(extensions))
            {
                canonical.Text("x:" + key);
                canonical.Text(extensions[key]);
            }
        return canonical.Hash();
    }

    private static string[] SortedKeys<T>(IReadOnlyDictionary<string, T> values)
    {
        var keys = new string[values.Count];
        var i = 0;
        foreach (var key in values.Keys) keys[i++] = key;
        if (keys.Length > 1) Array.Sort(keys, string.CompareOrdinal);
        return keys;
    }

    /// <summary>
    /// Length-prefixed UTF-8 strings in a per-thread buffer, hashed in one call (no two different
    /// sequences of strings give the same bytes).
    /// </summary>
    private ref struct Canonical
    {
        [ThreadStatic] private static byte[]? _buffer;
        private byte[] _bytes;
        private int _length;

        public Canonical() => _bytes = _buffer ??= new byte[4096];

        public void Text(string text)
        {
            Ensure(4 + Encoding.UTF8.GetMaxByteCount(text.Length));
            var written = Encoding.UTF8.GetBytes(text, _bytes.AsSpan(_length + 4));
            BitConverter.TryWriteBytes(_bytes.AsSpan(_length), written);
            _length += 4 + written;
        }

        public void Number(long value)
        {
            Ensure(8);
            BitConverter.TryWriteBytes(_bytes.AsSpan(_length), value);
            _length += 8;
        }

        public readonly string Hash() => Convert.ToBase64String(SHA256.HashData(_bytes.AsSpan(0, _length)));

        private void Ensure(int more)
        {
            if (_length + more <= _bytes.Length) return;
            var bigger = new byte[Math.Max(_bytes.Length * 2, _length + more)];
            _bytes.AsSpan(0, _length).CopyTo(bigger);
            _bytes = _buffer = bigger;
        }
    }

    /// <summary>Drops trailing zeros, so 1200.00 and 1200 are the same quantity.</summary>
    private static decimal Normalize(decimal value) => value / 1.0000000000000000000000000000m;

    private static bool TryString(JsonElement e, string name, out string value, out string? problem)
    {
        value = "";
        problem = null;
        if (!e.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
            problem = $"{name} is required";
        else if (element.ValueKind != JsonValueKind.String)
            problem = $"{name} must be a string";
        else if ((value = element.GetString()!).Trim().Length == 0)
            problem = $"{name} must not be empty";
        return problem is null;
    }

    private static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
