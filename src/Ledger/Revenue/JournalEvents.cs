using NodaTime;
using NodaTime.Text;

namespace Ledger.Revenue;

/// <summary>
/// An accounting period (a month, UTC) was closed, and with it every month before it: entries are never posted in it again;
/// later facts post in the first open month, keeping their service date. All closes are in one stream, in order.
/// <see cref="AsOf"/> is the rating position the journal was posted up to just before the close.
/// </summary>
public sealed record AccountingPeriodClosed(string Period, Instant ClosedAt, string ClosedBy, long AsOf)
{
    public const string StreamKey = "accounting-periods";

    public static readonly LocalDatePattern Month = LocalDatePattern.CreateWithInvariantCulture("uuuu-MM");
}

/// <summary>Journal settings (<c>Ledger:Journal</c>).</summary>
public sealed class JournalOptions
{
    /// <summary>How often the background posting run posts what rating has reached; zero turns it off (then only POST /v1/journal/post posts).</summary>
    public TimeSpan PostInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long closing a period waits for rating to reach the events recorded before it.</summary>
    public TimeSpan RatingWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>When unused purchased credit is breakage revenue: <c>remote</c> (when it expires) or <c>proportional</c> (as credit is used).</summary>
    public string Breakage { get; set; } = "remote";

    /// <summary>Under the proportional policy: the share of purchased credit expected to expire unused, from 0 up to (not including) 1.</summary>
    public decimal ExpectedBreakage { get; set; }
}
