using Ledger.Ui;
using NodaTime;
using static Ledger.Ui.Html;

namespace Ledger.UiTests;

/// <summary>How the pages write money, times and markup; pure, no browser.</summary>
public sealed class when_a_page_formats_values
{
    [Theory]
    [InlineData("1234.5", "USD", "$1,234.50")]
    [InlineData("-6", "USD", "−$6.00")]
    [InlineData("0.0000025", "USD", "$0.0000025")]
    [InlineData("1235", "JPY", "¥1,235")]
    [InlineData("12.3456", "KWD", "12.3456 KWD")]
    [InlineData("1000000.1", "EUR", "€1,000,000.10")]
    public void money_has_its_currency_s_digits_and_is_never_rounded(string amount, string currency, string shown) =>
        Assert.Equal(shown, Format.MoneyText(amount, currency));

    [Fact]
    public void a_time_is_shown_in_the_zone_with_utc_on_hover()
    {
        var at = Instant.FromUtc(2026, 10, 15, 12, 0);
        var html = Format.Time(at, DateTimeZoneProviders.Tzdb["Europe/Berlin"]).Value;
        Assert.Contains(">2026-10-15 14:00 CEST<", html);
        Assert.Contains("title=\"2026-10-15 12:00:00Z (UTC)\"", html);
        Assert.Contains("datetime=\"2026-10-15T12:00:00Z\"", html);
    }

    [Fact]
    public void values_in_markup_are_encoded_and_markup_is_not()
    {
        var bold = H($"<b>{"x"}</b>");
        var html = H($"""<p title="{"\"><script>"}">{bold}{"<img src=x onerror=alert(1)>"}</p>""").Value;
        Assert.Equal("<p title=\"&quot;&gt;&lt;script&gt;\"><b>x</b>&lt;img src=x onerror=alert(1)&gt;</p>", html);
    }
}
