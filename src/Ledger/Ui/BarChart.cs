using System.Globalization;
using static Ledger.Ui.Html;

namespace Ledger.Ui;

/// <summary>A bar chart drawn as inline SVG (no script, no library): one bar per label, negative bars below the zero line.</summary>
public static class BarChart
{
    private const int Width = 640, Height = 240, Left = 8, Right = 8, Top = 18, Bottom = 44;

    public static Html Render(string id, string title, string currency, IReadOnlyList<(string Label, decimal Value)> bars)
    {
        if (bars.Count == 0) return Html.Empty;
        var max = Math.Max(bars.Max(b => b.Value), 0m);
        var min = Math.Min(bars.Min(b => b.Value), 0m);
        var span = max - min == 0 ? 1m : max - min;
        var plot = Height - Top - Bottom;
        double Y(decimal v) => Top + (double)((max - v) / span) * plot;
        var slot = (double)(Width - Left - Right) / bars.Count;
        var barWidth = Math.Min(slot * 0.7, 64);
        string N(double d) => d.ToString("0.#", CultureInfo.InvariantCulture);
        var zero = Y(0);
        var shapes = bars.Select((b, i) =>
        {
            var x = Left + slot * i + (slot - barWidth) / 2;
            var (y, h) = b.Value >= 0 ? (Y(b.Value), zero - Y(b.Value)) : (zero, Y(b.Value) - zero);
            var money = Format.MoneyText(new Kernel.Money(b.Value, currency).ToExactString(), currency);
            return H($"""
                <g><rect class="{(b.Value >= 0 ? "bar" : "bar negative")}" x="{N(x)}" y="{N(y)}" width="{N(barWidth)}" height="{N(Math.Max(h, 1))}"><title>{b.Label}: {money}</title></rect>
                <text class="value" x="{N(x + barWidth / 2)}" y="{N(b.Value >= 0 ? y - 4 : y + h + 12)}" text-anchor="middle">{money}</text>
                <text class="label" x="{N(x + barWidth / 2)}" y="{Height - 8}" text-anchor="middle">{b.Label}</text></g>
                """);
        });
        var description = string.Join("; ", bars.Select(b => $"{b.Label}: {Format.MoneyText(new Kernel.Money(b.Value, currency).ToExactString(), currency)}"));
        return H($"""
            <figure class="chart">
            <svg id="{id}" viewBox="0 0 {Width} {Height}" role="img" aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMidYMid meet">
            <title id="{id}-title">{title}</title><desc id="{id}-desc">{description}</desc>
            <line class="axis" x1="{Left}" x2="{Width - Right}" y1="{N(zero)}" y2="{N(zero)}"/>
            {shapes}
            </svg>
            <figcaption>{title}</figcaption>
            </figure>
            """);
    }
}
