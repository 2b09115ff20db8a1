using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;

namespace Ledger.Ui;

/// <summary>
/// Markup that is safe to write as it is. Built with <see cref="H"/> from an interpolated string whose holes are
/// HTML-encoded unless they are <see cref="Html"/> themselves, so a page cannot forget to encode a value.
/// </summary>
public readonly record struct Html(string Value)
{
    public static readonly Html Empty = new("");

    public static Html H(HtmlHandler handler) => handler.ToHtml();

    public static Html Join(IEnumerable<Html> parts) => new(string.Concat(parts.Select(p => p.Value)));

    public static Html When(bool condition, Html html) => condition ? html : Empty;

    public override string ToString() => Value;
}

[InterpolatedStringHandler]
public ref struct HtmlHandler
{
    private readonly StringBuilder _builder;

    public HtmlHandler(int literalLength, int formattedCount) => _builder = new StringBuilder(literalLength + formattedCount * 16);

    public void AppendLiteral(string literal) => _builder.Append(literal);

    public void AppendFormatted(Html html) => _builder.Append(html.Value);

    public void AppendFormatted(IEnumerable<Html> parts)
    {
        foreach (var part in parts) _builder.Append(part.Value);
    }

    public void AppendFormatted(string? text) => _builder.Append(WebUtility.HtmlEncode(text ?? ""));

    public void AppendFormatted<T>(T value) =>
        _builder.Append(WebUtility.HtmlEncode(value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value?.ToString() ?? ""));

    public void AppendFormatted<T>(T value, string? format) =>
        _builder.Append(WebUtility.HtmlEncode(value is IFormattable f ? f.ToString(format, CultureInfo.InvariantCulture) : value?.ToString() ?? ""));

    internal Html ToHtml() => new(_builder.ToString());
}
