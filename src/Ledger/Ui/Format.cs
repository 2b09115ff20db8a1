using System.Globalization;
using NodaTime;
using NodaTime.Text;
using static Ledger.Ui.Html;

namespace Ledger.Ui;

/// <summary>How pages show money, times and ids.</summary>
public static class Format
{
    private static readonly Dictionary<string, string> Symbols = new(StringComparer.Ordinal)
    {
        ["USD"] = "$", ["EUR"] = "€", ["GBP"] = "£", ["JPY"] = "¥", ["CNY"] = "CN¥", ["INR"] = "₹", ["KRW"] = "₩", ["CHF"] = "CHF ",
        ["CAD"] = "CA$", ["AUD"] = "A$", ["BRL"] = "R$", ["MXN"] = "MX$",
    };

    private static readonly ZonedDateTimePattern LocalTime = ZonedDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd HH:mm x", null);
    private static readonly InstantPattern UtcTime = InstantPattern.CreateWithInvariantCulture("uuuu-MM-dd HH:mm:ss'Z'");

    /// <summary>
    /// An exact decimal string as money of its currency: grouped thousands, at least the currency's minor digits, never rounded
    /// (a per-event amount keeps its precision; invoice lines come rounded already): "-$1,234.50", "¥1,235", "12.345 KWD".
    /// </summary>
    public static string MoneyText(string amount, string currency)
    {
        if (!decimal.TryParse(amount, NumberStyles.Number, CultureInfo.InvariantCulture, out var value)) return $"{amount} {currency}";
        var exact = new Kernel.Money(value, currency).ToExactString();
        var negative = exact.StartsWith('-');
        var digits = negative ? exact[1..] : exact;
        var dot = digits.IndexOf('.');
        var whole = dot < 0 ? digits : digits[..dot];
        var fraction = dot < 0 ? "" : digits[dot..];
        var grouped = decimal.Parse(whole, CultureInfo.InvariantCulture).ToString("#,0", CultureInfo.InvariantCulture) + fraction;
        var text = Symbols.TryGetValue(currency, out var symbol) ? symbol + grouped : $"{grouped} {currency}";
        return negative ? "−" + text : text;
    }

    public static Html Money(string amount, string currency) =>
        H($"""<span class="money" title="{amount} {currency}">{MoneyText(amount, currency)}</span>""");

    public static Html Money(decimal amount, string currency) => Money(new Kernel.Money(amount, currency).ToExactString(), currency);

    /// <summary>A time in the given zone, with the UTC instant on hover and in the machine-readable attribute.</summary>
    public static Html Time(Instant at, DateTimeZone zone) =>
        H($"""<time datetime="{InstantPattern.ExtendedIso.Format(at)}" title="{UtcTime.Format(at)} (UTC)">{LocalTime.Format(at.InZone(zone))}</time>""");

    public static Html Time(Instant? at, DateTimeZone zone, string none = "—") => at is { } value ? Time(value, zone) : H($"{none}");

    /// <summary>A long id in monospace with a button that copies it.</summary>
    public static Html Id(string id, string? label = null) =>
        H($"""<span class="copyable"><code>{id}</code><button type="button" class="copy" data-copy="{id}" aria-label="Copy {label ?? "id"} {id}">Copy</button></span>""");

    public static string Percent(decimal fraction) => (fraction * 100m).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    /// <summary>A route segment that may hold slashes (a CloudEvents source), encoded as the API expects.</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value);
}
